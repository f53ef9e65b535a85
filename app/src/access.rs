//! Which pages need which role: one table, read by the router's guard on the
//! server (for the status code) and by the `RoleGate` view (for what is shown), so
//! the two always agree. Shared by browser and server.
//!
//! Who reads the audit trail is [`AUDIT_READERS`]: the `/audit` pages, the links
//! to them and `domain::audit`'s reads (page, record, export) all ask
//! [`may_read_audit`].

use crate::types::{CurrentUser, Role};

/// What a page asks of the person looking at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAccess {
    /// Anyone, signed in or not (sign-in problems, signed-out page).
    Public,
    /// Anyone signed in.
    SignedIn,
    /// Signed in with one of these roles.
    AnyOf(&'static [Role]),
}

/// The one table of which pages need which role; the router's guard and the
/// pages' `RoleGate` both read it, so status and content always agree.
pub fn page_access(path: &str) -> PageAccess {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if under("/auth") || under("/notifications/unsubscribe") {
        // The unsubscribe link of a mail works without signing in: its token
        // turns off one kind of mail and allows nothing else.
        PageAccess::Public
    } else if under("/admin") {
        PageAccess::AnyOf(&[Role::Admin])
    } else if under("/audit") {
        PageAccess::AnyOf(AUDIT_READERS)
    } else {
        PageAccess::SignedIn
    }
}

/// The roles that may read the audit trail.
pub const AUDIT_READERS: &[Role] = &[Role::Admin, Role::Auditor];

/// May `user` read the audit trail?
pub fn may_read_audit(user: &CurrentUser) -> bool {
    AUDIT_READERS.iter().any(|r| user.has(*r))
}

/// May `user` see the page at `path`?
pub fn may_view(path: &str, user: Option<&CurrentUser>) -> bool {
    match (page_access(path), user) {
        (PageAccess::Public, _) => true,
        (_, None) => false,
        (PageAccess::SignedIn, Some(_)) => true,
        (PageAccess::AnyOf(roles), Some(user)) => roles.iter().any(|r| user.has(*r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: Vec<Role>) -> CurrentUser {
        CurrentUser {
            id: "u".into(),
            name: "U".into(),
            email: None,
            roles,
            groups: None,
        }
    }

    #[test]
    fn admin_pages_need_the_admin_role() {
        assert!(!may_view(
            "/admin/items",
            Some(&user(vec![Role::Requester]))
        ));
        assert!(may_view(
            "/admin/items",
            Some(&user(vec![Role::Requester, Role::Admin]))
        ));
        assert!(!may_view("/admin", None));
    }

    #[test]
    fn audit_pages_are_for_admins_and_auditors() {
        assert!(may_view("/audit", Some(&user(vec![Role::Auditor]))));
        assert!(!may_view("/audit/7", Some(&user(vec![Role::Approver]))));
    }

    #[test]
    fn prefixes_match_whole_segments() {
        assert_eq!(page_access("/administrator"), PageAccess::SignedIn);
        assert_eq!(page_access("/authors"), PageAccess::SignedIn);
        assert_eq!(page_access("/auth/signed-out"), PageAccess::Public);
    }
}
