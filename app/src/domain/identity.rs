//! Who is signed in, and what they may do: roles from the provider's groups claim.

use crate::types::Role;

/// Which of the provider's groups grant which role. Everybody signed in is a
/// requester; the other roles come only from these groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap {
    pub admin_groups: Vec<String>,
    pub approver_groups: Vec<String>,
    pub auditor_groups: Vec<String>,
}

impl RoleMap {
    pub fn roles_for(&self, groups: &[String]) -> Vec<Role> {
        let member = |wanted: &[String]| groups.iter().any(|g| wanted.contains(g));
        let mut roles = vec![Role::Requester];
        if member(&self.approver_groups) {
            roles.push(Role::Approver);
        }
        if member(&self.admin_groups) {
            roles.push(Role::Admin);
        }
        if member(&self.auditor_groups) {
            roles.push(Role::Auditor);
        }
        roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> RoleMap {
        RoleMap {
            admin_groups: vec!["admins".into()],
            approver_groups: vec!["approvers".into(), "managers".into()],
            auditor_groups: vec!["auditors".into()],
        }
    }

    #[test]
    fn everybody_signed_in_is_a_requester() {
        assert_eq!(map().roles_for(&[]), vec![Role::Requester]);
    }

    #[test]
    fn groups_grant_the_configured_roles_only() {
        let groups = vec![
            "managers".to_string(),
            "auditors".to_string(),
            "other".into(),
        ];
        assert_eq!(
            map().roles_for(&groups),
            vec![Role::Requester, Role::Approver, Role::Auditor]
        );
    }

    #[test]
    fn group_names_match_exactly() {
        assert_eq!(
            map().roles_for(&["Admins".into(), "admin".into()]),
            vec![Role::Requester]
        );
    }
}
