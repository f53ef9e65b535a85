//! The LDAP / Active Directory connector: an item's holders are the members of
//! one group. A grant adds the person's DN to the group's `member` (or
//! `uniqueMember`) attribute, a revocation deletes it; both are idempotent
//! (already a member, or not one, is success). Every connection and every
//! operation has a timeout; the bind password is used only to bind and never
//! appears in an answer, a log line or the audit trail.

mod entry;
pub mod filter;
pub mod outcome;
pub mod settings;
mod tls;

use std::{collections::HashSet, time::Duration};

use ldap3::{LdapConnAsync, LdapConnSettings, Mod, Scope};

use self::{
    outcome::{
        ATTRIBUTE_OR_VALUE_EXISTS, COMPARE_FALSE, COMPARE_TRUE, NO_SUCH_ATTRIBUTE, NO_SUCH_OBJECT,
        SUCCESS, of_error, of_result,
    },
    settings::Transport,
};
use super::connector::{Change, Connector, Outcome, Person};
use crate::types::LdapSettings;

/// Opening the connection (TCP, TLS, StartTLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Each operation (bind, search, modify).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole grant or revocation, well inside the worker's lease.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// One directory, one group.
pub struct Ldap {
    settings: LdapSettings,
    url: url::Url,
    transport: Transport,
    password: String,
}

impl std::fmt::Debug for Ldap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ldap")
            .field("url", &self.url.as_str())
            .field("bind_dn", &self.settings.bind_dn)
            .finish_non_exhaustive()
    }
}

type Step<T> = Result<T, Outcome>;

impl Ldap {
    /// The connector for stored `settings`, checked again (a row written by an
    /// older version, or by hand, cannot make it send the password in clear).
    pub fn new(settings: LdapSettings, password: String) -> Result<Ldap, String> {
        let (url, transport) =
            settings::transport(&settings).map_err(|e| format!("the LDAP URL {e}"))?;
        Ok(Ldap {
            settings,
            url,
            transport,
            password,
        })
    }

    fn group(&self) -> &str {
        &self.settings.group_dn
    }

    fn attribute(&self) -> &'static str {
        self.settings.member_attribute.as_str()
    }

    /// Connects (with TLS unless plain loopback was allowed) and binds.
    async fn connect(&self) -> Step<ldap3::Ldap> {
        let mut conn = LdapConnSettings::new()
            .set_conn_timeout(CONNECT_TIMEOUT)
            .set_starttls(self.transport == Transport::StartTls);
        if !self.settings.ca_pem.is_empty() && self.transport != Transport::PlainLoopback {
            let config = tls::config(&self.settings.ca_pem)
                .map_err(|e| Outcome::Fail(format!("the CA certificate {e}")))?;
            conn = conn.set_config(config);
        }
        let doing = format!("connecting to {}", self.url);
        let (driver, mut ldap) = LdapConnAsync::with_settings(conn, self.url.as_str())
            .await
            .map_err(|e| of_error(&doing, &e))?;
        tokio::spawn(async move {
            if let Err(err) = driver.drive().await {
                tracing::debug!(error = %err, "LDAP connection ended");
            }
        });
        let doing = format!("binding as {}", self.settings.bind_dn);
        let bound = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .simple_bind(&self.settings.bind_dn, &self.password)
            .await
            .map_err(|e| of_error(&doing, &e))?;
        if bound.rc != SUCCESS {
            return Err(of_result(&doing, &bound));
        }
        Ok(ldap)
    }

    /// The one entry the user filter finds for `person`.
    async fn person_dn(&self, ldap: &mut ldap3::Ldap, person: &Person) -> Step<String> {
        let filter = filter::fill(&self.settings.user_filter, person)
            .map_err(|e| Outcome::Fail(e.to_string()))?;
        let base = &self.settings.user_base;
        let doing = format!("searching {filter} under {base}");
        let found = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .search(base, Scope::Subtree, &filter, vec!["1.1"])
            .await
            .map_err(|e| of_error(&doing, &e))?;
        let (entries, result) = (found.0, found.1);
        match result.rc {
            SUCCESS => {}
            NO_SUCH_OBJECT => {
                return Err(Outcome::Fail(format!(
                    "the people's search base {base} does not exist"
                )));
            }
            _ => return Err(of_result(&doing, &result)),
        }
        let mut dns: Vec<String> = entries.into_iter().filter_map(entry::dn).collect();
        match dns.len() {
            1 => Ok(dns.remove(0)),
            0 => Err(Outcome::Fail(format!(
                "no entry under {base} matches {filter}: {} is not in the directory (or the user \
                 filter is wrong)",
                person.user_name
            ))),
            n => Err(Outcome::Fail(format!(
                "{n} entries under {base} match {filter}; the user filter must find one person"
            ))),
        }
    }

    /// Whether `dn` is a member, by an LDAP compare on the group.
    async fn is_member(&self, ldap: &mut ldap3::Ldap, dn: &str) -> Step<bool> {
        let doing = format!("comparing {} of {}", self.attribute(), self.group());
        let compared = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .compare(self.group(), self.attribute(), dn)
            .await
            .map_err(|e| of_error(&doing, &e))?;
        match compared.0.rc {
            COMPARE_TRUE => Ok(true),
            COMPARE_FALSE => Ok(false),
            _ => Err(of_result(&doing, &compared.0)),
        }
    }

    /// With `read_member_of`: whether the person's `memberOf` lists the group.
    async fn member_of(&self, ldap: &mut ldap3::Ldap, dn: &str) -> Step<bool> {
        let doing = format!("reading memberOf of {dn}");
        let found = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .search(dn, Scope::Base, "(objectClass=*)", vec!["memberOf"])
            .await
            .map_err(|e| of_error(&doing, &e))?;
        if found.1.rc != SUCCESS {
            return Err(of_result(&doing, &found.1));
        }
        let group = entry::normalise_dn(self.group());
        Ok(found
            .0
            .into_iter()
            .filter_map(entry::read)
            .flat_map(|e| e.values("memberOf"))
            .any(|g| entry::normalise_dn(&g) == group))
    }

    /// Applies `change` to the group: `true` when it changed, `false` when it
    /// already was so (`attributeOrValueExists`, `noSuchAttribute`).
    async fn modify(&self, ldap: &mut ldap3::Ldap, change: Mod<&str>, doing: &str) -> Step<bool> {
        let result = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .modify(self.group(), vec![change])
            .await
            .map_err(|e| of_error(doing, &e))?;
        match result.rc {
            SUCCESS => Ok(true),
            ATTRIBUTE_OR_VALUE_EXISTS | NO_SUCH_ATTRIBUTE => Ok(false),
            NO_SUCH_OBJECT => Err(Outcome::Fail(format!(
                "the group {} does not exist",
                self.group()
            ))),
            _ => Err(of_result(doing, &result)),
        }
    }

    async fn grant_in(&self, ldap: &mut ldap3::Ldap, person: &Person) -> Step<String> {
        let dn = self.person_dn(ldap, person).await?;
        let doing = format!("adding {dn} to {} of {}", self.attribute(), self.group());
        let add = Mod::Add(self.attribute(), HashSet::from([dn.as_str()]));
        let mut answer = match self.modify(ldap, add, &doing).await {
            Ok(true) => format!("added {dn} to {}", self.group()),
            Ok(false) => format!("{dn} was already a member of {}", self.group()),
            // Active Directory refuses a second add with entryAlreadyExists (68):
            // whatever the refusal, a person who is a member is what was asked.
            Err(refused) => match self.is_member(ldap, &dn).await {
                Ok(true) => format!("{dn} was already a member of {}", self.group()),
                _ => return Err(refused),
            },
        };
        if self.settings.read_member_of {
            if !self.member_of(ldap, &dn).await? {
                return Err(Outcome::Retry(format!(
                    "{answer}, but the memberOf of {dn} does not list the group yet"
                )));
            }
            answer.push_str("; memberOf confirms it");
        }
        Ok(answer)
    }

    async fn revoke_in(&self, ldap: &mut ldap3::Ldap, person: &Person) -> Step<String> {
        let dn = self.person_dn(ldap, person).await?;
        let doing = format!(
            "removing {dn} from {} of {}",
            self.attribute(),
            self.group()
        );
        let delete = Mod::Delete(self.attribute(), HashSet::from([dn.as_str()]));
        let mut answer = match self.modify(ldap, delete, &doing).await {
            Ok(true) => format!("removed {dn} from {}", self.group()),
            Ok(false) => format!("{dn} was not a member of {}", self.group()),
            // Active Directory refuses to remove a non-member with
            // unwillingToPerform (53): not being a member is what was asked.
            Err(refused) => match self.is_member(ldap, &dn).await {
                Ok(false) => format!("{dn} was not a member of {}", self.group()),
                _ => return Err(refused),
            },
        };
        if self.settings.read_member_of {
            if self.member_of(ldap, &dn).await? {
                return Err(Outcome::Retry(format!(
                    "{answer}, but the memberOf of {dn} still lists the group"
                )));
            }
            answer.push_str("; memberOf confirms it");
        }
        Ok(answer)
    }

    /// Binds, then reads the group and the people's search base.
    async fn test_in(&self, ldap: &mut ldap3::Ldap) -> Step<String> {
        let doing = format!("reading the group {}", self.group());
        let found = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .search(
                self.group(),
                Scope::Base,
                "(objectClass=*)",
                vec![self.attribute()],
            )
            .await
            .map_err(|e| of_error(&doing, &e))?;
        if found.1.rc == NO_SUCH_OBJECT {
            return Err(Outcome::Fail(format!(
                "the group {} does not exist",
                self.group()
            )));
        }
        if found.1.rc != SUCCESS {
            return Err(of_result(&doing, &found.1));
        }
        let Some(group) = found.0.into_iter().find_map(entry::read) else {
            return Err(Outcome::Fail(format!(
                "the group {} cannot be read by {}",
                self.group(),
                self.settings.bind_dn
            )));
        };
        let members = group.values(self.attribute()).len();
        let base = &self.settings.user_base;
        let doing = format!("reading the people's search base {base}");
        let found = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .search(base, Scope::Base, "(objectClass=*)", vec!["1.1"])
            .await
            .map_err(|e| of_error(&doing, &e))?;
        match found.1.rc {
            SUCCESS => Ok(format!(
                "bound as {}; the group {} has {members} {}",
                self.settings.bind_dn,
                self.group(),
                if members == 1 { "member" } else { "members" }
            )),
            NO_SUCH_OBJECT => Err(Outcome::Fail(format!(
                "the people's search base {base} does not exist"
            ))),
            _ => Err(of_result(&doing, &found.1)),
        }
    }

    /// Connects, does `work`, unbinds; the whole within [`ATTEMPT_TIMEOUT`].
    async fn session(&self, work: Work<'_>) -> Outcome {
        let run = async {
            let mut ldap = self.connect().await?;
            let result = match work {
                Work::Grant(person) => self.grant_in(&mut ldap, person).await,
                Work::Revoke(person) => self.revoke_in(&mut ldap, person).await,
                Work::Test => self.test_in(&mut ldap).await,
            };
            // Closing is courtesy: the answer is already known.
            let _ = ldap.unbind().await;
            result
        };
        match tokio::time::timeout(ATTEMPT_TIMEOUT, run).await {
            Ok(Ok(answer)) => Outcome::Done(answer),
            Ok(Err(outcome)) => outcome,
            Err(_) => Outcome::Retry(format!("{}: timed out", self.url)),
        }
    }
}

/// What one connection is for.
enum Work<'a> {
    Grant(&'a Person),
    Revoke(&'a Person),
    Test,
}

#[async_trait::async_trait]
impl Connector for Ldap {
    async fn grant(&self, change: &Change) -> Outcome {
        self.session(Work::Grant(&change.person)).await
    }

    async fn revoke(&self, change: &Change) -> Outcome {
        self.session(Work::Revoke(&change.person)).await
    }

    async fn test_connection(&self) -> Outcome {
        self.session(Work::Test).await
    }
}
