//! The signed-in person, loaded once per page and shared through context.

use leptos::prelude::*;

use crate::{
    api::session::who_am_i,
    types::{AppError, CurrentUser},
};

/// Blocking, so the server knows the user before it sends the first byte (a 403
/// status can still be set) and the browser hydrates with the same value.
#[derive(Clone, Copy)]
pub struct SignedIn(pub Resource<Result<Option<CurrentUser>, AppError>>);

pub fn provide_signed_in() {
    provide_context(SignedIn(Resource::new_blocking(|| (), |_| who_am_i())));
}

pub fn use_signed_in() -> SignedIn {
    expect_context::<SignedIn>()
}

/// Bumped whenever the signed-in person's pending tasks may have changed (a
/// decision, a reassignment, a signed action), so the navigation's count reloads.
#[derive(Clone, Copy)]
pub struct InboxChanged(pub RwSignal<u32>);

pub fn provide_inbox_changed() {
    provide_context(InboxChanged(RwSignal::new(0)));
}

/// Tell the navigation that the inbox changed.
pub fn inbox_changed() {
    if let Some(InboxChanged(signal)) = use_context::<InboxChanged>() {
        signal.update(|n| *n += 1);
    }
}
