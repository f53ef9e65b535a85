//! Who is in a group, changed by the directory: each person checked, each
//! change counted once, the roles cache of everyone affected refreshed
//! (`db::groups::sync_cached_groups`), their version (ETag) moved, since
//! their representation lists their groups, and the change audited, in the
//! caller's transaction.

use std::collections::BTreeSet;

use serde_json::json;

use super::{ScimCaller, error::ScimError, groups::entry};
use crate::{
    db::{
        self, Tx,
        directory::{groups as store, people},
    },
    domain::{audit, now},
};

/// Members added and removed by one change.
#[derive(Default)]
pub struct Changes {
    pub added: BTreeSet<String>,
    pub removed: BTreeSet<String>,
}

impl Changes {
    pub async fn add(
        &mut self,
        tx: &mut Tx,
        group_id: &str,
        user_id: &str,
    ) -> Result<(), ScimError> {
        if people::find(&mut **tx, user_id).await?.is_none() {
            return Err(ScimError::invalid_value(format!(
                "member {user_id:?} is not a known User"
            )));
        }
        if store::add_member(tx, group_id, user_id).await? && !self.removed.remove(user_id) {
            self.added.insert(user_id.to_owned());
        }
        Ok(())
    }

    pub async fn remove(
        &mut self,
        tx: &mut Tx,
        group_id: &str,
        user_id: &str,
    ) -> Result<(), ScimError> {
        if store::remove_member(tx, group_id, user_id).await? && !self.added.remove(user_id) {
            self.removed.insert(user_id.to_owned());
        }
        Ok(())
    }

    pub async fn replace(
        &mut self,
        tx: &mut Tx,
        group_id: &str,
        wanted: &[String],
    ) -> Result<(), ScimError> {
        let wanted: BTreeSet<&String> = wanted.iter().collect();
        for current in store::member_ids(&mut **tx, group_id).await? {
            if !wanted.contains(&current) {
                self.remove(tx, group_id, &current).await?;
            }
        }
        for id in wanted {
            self.add(tx, group_id, id).await?;
        }
        Ok(())
    }

    /// Refreshes the roles cache of everyone affected (everyone, after a
    /// rename) and audits the membership change.
    pub async fn finish(
        self,
        c: &ScimCaller<'_>,
        tx: &mut Tx,
        group_id: &str,
        renamed: bool,
    ) -> Result<(), ScimError> {
        let affected: Vec<String> = if renamed {
            store::member_ids(&mut **tx, group_id)
                .await?
                .into_iter()
                .chain(self.removed.iter().cloned())
                .collect()
        } else {
            self.added
                .iter()
                .chain(self.removed.iter())
                .cloned()
                .collect()
        };
        // Each person's representation lists their groups: a new version.
        let at = now();
        for user_id in &affected {
            db::groups::sync_cached_groups(tx, user_id).await?;
            people::touch(tx, user_id, at).await?;
        }
        if !self.added.is_empty() || !self.removed.is_empty() {
            audit::append(
                tx,
                c.actor(),
                entry(
                    "group.members_changed",
                    group_id,
                    json!({ "added": self.added, "removed": self.removed }),
                ),
            )
            .await?;
        }
        Ok(())
    }
}
