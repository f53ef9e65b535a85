//! One attempt of a provisioning job: the item's current target decides where
//! it goes (an administrator who fixes a target fixes its queued jobs too).

use super::{
    Provisioning,
    connector::{self, Change, Connector, Outcome},
    ldap::Ldap,
    scim_client::ScimClient,
    sealing::SealError,
    target::Settings,
    webhook::{self, Webhook},
};
use crate::{
    db::{Db, outbox::JobRow, provisioning as store},
    domain::outbox::{Attempt, JobHandler},
    types::ConnectorKind,
};

/// Runs provisioning jobs for the [`crate::domain::outbox::Worker`].
pub struct ProvisioningHandler {
    db: Db,
    runtime: Provisioning,
}

impl ProvisioningHandler {
    pub fn new(db: Db, runtime: Provisioning) -> ProvisioningHandler {
        ProvisioningHandler { db, runtime }
    }

    async fn attempt_change(&self, job: &JobRow, change: &Change) -> Result<Attempt, Attempt> {
        let target = store::target(self.db.pool(), &job.target)
            .await
            .map_err(|e| Attempt::Retry(format!("database: {e}")))?;
        let Some(target) = target.filter(|t| t.connector != ConnectorKind::Manual) else {
            let (assignee_user_id, assignee_group) = self.fulfillers(&job.target).await?;
            return Ok(Attempt::Manual {
                assignee_user_id,
                assignee_group,
                why: "the item has no connector: waiting for manual fulfilment".into(),
            });
        };
        let connector = self.connector(&target)?;
        Ok(match connector::apply(connector.as_ref(), change).await {
            Outcome::Done(answer) => Attempt::Done(answer),
            Outcome::Retry(answer) => Attempt::Retry(answer),
            Outcome::Fail(answer) => Attempt::Fail(answer),
        })
    }

    fn connector(&self, target: &store::TargetRow) -> Result<Box<dyn Connector>, Attempt> {
        let settings = Settings::read(&target.settings_json);
        let secret =
            open_secret(&self.runtime, target).map_err(|e| Attempt::Fail(e.to_string()))?;
        build_connector(&self.runtime, target.connector, &settings, secret).map_err(Attempt::Fail)
    }

    async fn fulfillers(&self, item_id: &str) -> Result<(Option<String>, Option<String>), Attempt> {
        let mut tx = self
            .db
            .pool()
            .begin()
            .await
            .map_err(|e| Attempt::Retry(format!("database: {e}")))?;
        let who = super::fulfillers(&mut tx, item_id)
            .await
            .map_err(|e| Attempt::Retry(format!("database: {e}")))?;
        tx.rollback()
            .await
            .map_err(|e| Attempt::Retry(format!("database: {e}")))?;
        Ok(who)
    }
}

/// The target's credential, opened (only to use it).
pub(super) fn open_secret(
    runtime: &Provisioning,
    target: &store::TargetRow,
) -> Result<String, SealError> {
    let Some(sealed) = target.secret_sealed.as_deref() else {
        return Ok(String::new());
    };
    runtime
        .key
        .as_ref()
        .ok_or(SealError::NoKey)?
        .open(&target.item_id, sealed)
}

/// The connector for a target's `settings` and opened `secret`; the error says,
/// for the administrator, what to set on the item's Provisioning tab.
pub(super) fn build_connector(
    runtime: &Provisioning,
    kind: ConnectorKind,
    settings: &Settings,
    secret: String,
) -> Result<Box<dyn Connector>, String> {
    if secret.is_empty() && kind != ConnectorKind::Manual {
        return Err(match kind {
            ConnectorKind::Ldap => "the LDAP target has no bind password",
            ConnectorKind::Scim => "the SCIM target has no token or client secret",
            _ => "the webhook has no shared secret",
        }
        .to_owned()
            + "; set one on the item's Provisioning tab");
    }
    match kind {
        ConnectorKind::Webhook => {
            let url =
                webhook::parse_url(&settings.url).map_err(|e| format!("the webhook's URL: {e}"))?;
            Ok(Box::new(Webhook::new(url, secret, runtime.http.clone())))
        }
        ConnectorKind::Ldap => {
            let ldap = *settings.ldap.clone().unwrap_or_default();
            Ok(Box::new(Ldap::new(ldap, secret)?))
        }
        ConnectorKind::Scim => {
            let scim = *settings.scim.clone().unwrap_or_default();
            Ok(Box::new(ScimClient::new(
                scim,
                secret,
                runtime.http.clone(),
            )?))
        }
        ConnectorKind::Manual => Err("manual targets run no connector".into()),
    }
}

#[async_trait::async_trait]
impl JobHandler for ProvisioningHandler {
    async fn attempt(&self, job: &JobRow) -> Attempt {
        let change: Change = match serde_json::from_str(&job.payload_json) {
            Ok(change) => change,
            Err(err) => return Attempt::Fail(format!("the job's payload cannot be read: {err}")),
        };
        match self.attempt_change(job, &change).await {
            Ok(attempt) | Err(attempt) => attempt,
        }
    }
}
