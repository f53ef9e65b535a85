//! How every page shows what it loads: "Loading…" until it arrives, the error as
//! an alert when it fails, a page's own words when a list holds nothing, and
//! the content otherwise.

use std::sync::Arc;

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;

use crate::{
    components::ui::Alert,
    types::{AppError, Page},
};

/// What can come back empty: the lists pages load.
pub trait Rows {
    fn has_no_rows(&self) -> bool;
}

impl<T> Rows for Vec<T> {
    fn has_no_rows(&self) -> bool {
        self.is_empty()
    }
}

impl<T> Rows for Page<T> {
    fn has_no_rows(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One loaded value: `children` gets it. With `keep`, what is shown stays while
/// the resource reloads (after an action), as a `Transition` does.
#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    children: F,
    #[prop(optional)] keep: bool,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    loading(resource, keep, |_| false, ViewFn::default(), children)
}

/// A loaded list: `empty` when it holds no rows, else `children` gets it.
#[component]
pub fn LoadedList<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    #[prop(into)] empty: ViewFn,
    children: F,
    #[prop(optional)] keep: bool,
) -> impl IntoView
where
    T: Rows + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    loading(resource, keep, T::has_no_rows, empty, children)
}

fn loading<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    keep: bool,
    is_empty: fn(&T) -> bool,
    empty: ViewFn,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    let children = Arc::new(children);
    let shown = move || {
        let children = children.clone();
        let empty = empty.clone();
        Suspend::new(async move {
            match resource.await {
                Ok(value) if is_empty(&value) => EitherOf3::A(empty.run()),
                Ok(value) => EitherOf3::B(children(value)),
                Err(err) => EitherOf3::C(view! { <Alert message=err.to_string() error=true/> }),
            }
        })
    };
    let fallback = || view! { <p class="mt-4">"Loading…"</p> };
    if keep {
        Either::Left(view! { <Transition fallback>{shown}</Transition> })
    } else {
        Either::Right(view! { <Suspense fallback>{shown}</Suspense> })
    }
}
