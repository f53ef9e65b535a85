//! Pages around sign-in that anybody may see: signed out, and sign-in problems.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{hooks::use_params_map, params::ParamsMap};

/// Why a sign-in did not complete; the path segment of `/auth/problem/{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInProblem {
    ProviderUnavailable,
    Cancelled,
    Rejected,
    Expired,
    /// The person's account is disabled here.
    Disabled,
    /// The directory (SCIM) is the truth for people, and it does not know
    /// this person.
    NotInDirectory,
    /// The directory's record of this person and the record of their
    /// earlier sign-ins are two different people here.
    LinkConflict,
}

impl SignInProblem {
    pub fn slug(self) -> &'static str {
        match self {
            SignInProblem::ProviderUnavailable => "provider-unavailable",
            SignInProblem::Cancelled => "cancelled",
            SignInProblem::Rejected => "rejected",
            SignInProblem::Expired => "expired",
            SignInProblem::Disabled => "disabled",
            SignInProblem::NotInDirectory => "not-in-directory",
            SignInProblem::LinkConflict => "link-conflict",
        }
    }

    fn from_slug(slug: &str) -> Option<SignInProblem> {
        [
            SignInProblem::ProviderUnavailable,
            SignInProblem::Cancelled,
            SignInProblem::Rejected,
            SignInProblem::Expired,
            SignInProblem::Disabled,
            SignInProblem::NotInDirectory,
            SignInProblem::LinkConflict,
        ]
        .into_iter()
        .find(|p| p.slug() == slug)
    }

    /// The HTTP status the page answers with.
    pub fn status(self) -> u16 {
        match self {
            SignInProblem::ProviderUnavailable => 503,
            SignInProblem::Cancelled => 200,
            SignInProblem::Rejected | SignInProblem::Expired => 400,
            SignInProblem::Disabled
            | SignInProblem::NotInDirectory
            | SignInProblem::LinkConflict => 403,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SignInProblem::ProviderUnavailable => "The identity provider cannot be reached",
            SignInProblem::Cancelled => "Sign-in cancelled",
            SignInProblem::Rejected => "Sign-in refused",
            SignInProblem::Expired => "Sign-in expired",
            SignInProblem::Disabled => "Account disabled",
            SignInProblem::NotInDirectory => "Not in the directory",
            SignInProblem::LinkConflict => "Account could not be matched",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            SignInProblem::ProviderUnavailable => {
                "Countersign could not reach your organisation's identity provider, so nobody can \
                 sign in right now. People already signed in can keep working. Try again in a few \
                 minutes; if it lasts, tell your administrator."
            }
            SignInProblem::Cancelled => {
                "You cancelled the sign-in at your identity provider. You are not signed in."
            }
            SignInProblem::Rejected => {
                "The identity provider's answer could not be verified, so you were not signed in. \
                 Start again; if it keeps happening, tell your administrator."
            }
            SignInProblem::Expired => {
                "This sign-in was started too long ago or in another window. Start again."
            }
            SignInProblem::Disabled => {
                "Your Countersign account is disabled, so you cannot sign in. If you think this \
                 is a mistake, ask your administrator."
            }
            SignInProblem::NotInDirectory => {
                "Your organisation's directory has not given you access to Countersign, so you \
                 cannot sign in. Ask your administrator to assign Countersign to you in the \
                 identity provider; you can sign in once the directory has sent your account."
            }
            SignInProblem::LinkConflict => {
                "Countersign holds two records that could both be you (one from an earlier \
                 sign-in, one from the directory), so it did not pick one. Nothing was changed. \
                 Ask your administrator to check how the directory identifies people \
                 (COUNTERSIGN_SCIM_MATCH)."
            }
        }
    }
}

fn problem_from(params: &ParamsMap) -> SignInProblem {
    params
        .get("reason")
        .and_then(|slug| SignInProblem::from_slug(&slug))
        .unwrap_or(SignInProblem::Rejected)
}

/// `/auth/problem/{reason}`
#[component]
pub fn SignInProblemPage() -> impl IntoView {
    // Read once: these pages are reached by full page loads, and the title is
    // rendered outside the route, where params cannot be read.
    let problem = problem_from(&use_params_map().get_untracked());
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let status = axum::http::StatusCode::from_u16(problem.status())
            .unwrap_or(axum::http::StatusCode::BAD_REQUEST);
        response.set_status(status);
    }
    view! {
        <Title text=problem.title()/>
        <h1 class="text-2xl font-bold">{problem.title()}</h1>
        <p class="mt-4 max-w-[40rem] text-slate-700" role="alert">
            {problem.explanation()}
        </p>
        <p class="mt-6">
            <a href="/auth/login" class="button-primary">"Sign in"</a>
        </p>
    }
}

/// `/auth/signed-out`
#[component]
pub fn SignedOutPage() -> impl IntoView {
    view! {
        <Title text="Signed out"/>
        <h1 class="text-2xl font-bold">"You are signed out"</h1>
        <p class="mt-4 max-w-[40rem] text-slate-700">
            "Your Countersign session has ended. Close the browser on a shared computer."
        </p>
        <p class="mt-6">
            <a href="/auth/login" class="button-primary">"Sign in again"</a>
        </p>
    }
}
