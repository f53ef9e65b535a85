//! Configuration from environment variables. A bad value stops start-up with a
//! message naming the variable.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, str::FromStr};

use url::Url;

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:…` or `postgres://…`
    pub database_url: String,
    pub addr: SocketAddr,
    /// The address people use to reach the app; decides cookie `Secure` and the origin check.
    pub public_url: Url,
    /// Where the built site (pkg/, favicon) is served from.
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    /// The organisation's OpenID Connect provider; `None` when `OIDC_ISSUER_URL` is unset.
    pub oidc: Option<OidcConfig>,
    /// Groups (from the provider's groups claim) that grant each role.
    pub roles: app::domain::identity::RoleMap,
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
    /// How far a re-authentication's `auth_time` may lie before the moment it was
    /// asked for (clock difference with the provider, whole-second truncation).
    pub reauth_skew_secs: i64,
    /// The longest lifetime of a personal access token, in days.
    pub token_max_days: i64,
    /// Who is the truth for people and groups (`COUNTERSIGN_DIRECTORY`) and
    /// how a sign-in finds the person the directory pushed
    /// (`COUNTERSIGN_SCIM_MATCH`).
    pub directory: app::domain::directory::DirectorySettings,
    /// Seals provisioning targets' credentials at rest (`COUNTERSIGN_SECRET_KEY`);
    /// without it no credential can be saved.
    pub secret_key: Option<app::domain::provisioning::sealing::SecretKey>,
    /// How often this replica's outbox worker looks for due jobs; `None` when
    /// `COUNTERSIGN_OUTBOX_INTERVAL_MS` is 0 (this replica runs no jobs).
    pub outbox_interval: Option<std::time::Duration>,
    /// How long a worker holds a job it runs (`COUNTERSIGN_OUTBOX_LEASE_SECS`).
    pub outbox_lease_secs: i64,
    /// The mail server (`COUNTERSIGN_SMTP_URL`, or `COUNTERSIGN_SMTP_HOST` and
    /// its companions); `None`: no mail is sent.
    pub smtp: Option<app::domain::notify::SmtpSettings>,
    /// Where `/metrics` is served: its own address (`COUNTERSIGN_METRICS_ADDR`),
    /// the public one behind a bearer token (`COUNTERSIGN_METRICS_TOKEN`), or
    /// nowhere (neither set).
    pub metrics: MetricsAccess,
    /// How long in-flight requests may take to finish after SIGTERM
    /// (`COUNTERSIGN_SHUTDOWN_GRACE_SECS`).
    pub shutdown_grace: std::time::Duration,
    /// Sign-in and API rate limits and the proxies whose `X-Forwarded-For`
    /// is believed.
    pub rate_limits: crate::rate_limit::RateLimitConfig,
}

/// Who may read `/metrics`. Never public by default: the numbers say how busy
/// the organisation's approvers are and when its provider fails.
#[derive(Clone, Default)]
pub struct MetricsAccess {
    /// A listener of its own (a loopback or management network address).
    pub addr: Option<SocketAddr>,
    /// A bearer token that opens `/metrics` on the public address.
    pub token: Option<String>,
}

impl std::fmt::Debug for MetricsAccess {
    // The token never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsAccess")
            .field("addr", &self.addr)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// How to reach and trust the OpenID Connect provider.
#[derive(Clone)]
pub struct OidcConfig {
    pub issuer_url: Url,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_url: Url,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    /// Each call to the provider (discovery, keys, token) gives up after this long.
    pub http_timeout_secs: u64,
    /// Tolerated difference between our clock and the provider's.
    pub clock_skew_secs: i64,
}

impl std::fmt::Debug for OidcConfig {
    // The client secret never reaches a log line or an error message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer_url", &self.issuer_url.as_str())
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url.as_str())
            .field("scopes", &self.scopes)
            .field("groups_claim", &self.groups_claim)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(&std::env::vars().collect())
    }

    /// Reads the configuration from a map of variables (the environment, or a test's).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let get = |name: &str| vars.get(name).map(String::as_str).filter(|v| !v.is_empty());

        let database_url = get("DATABASE_URL")
            .unwrap_or("sqlite:countersign.db")
            .to_owned();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err(ConfigError {
                variable: "DATABASE_URL",
                problem: "must start with sqlite: or postgres://".into(),
            });
        }
        let addr: SocketAddr = parse(
            get,
            "COUNTERSIGN_ADDR",
            "127.0.0.1:3000",
            "a socket address such as 127.0.0.1:3000",
        )?;
        let default_public = format!("http://{addr}");
        let public_url: Url = parse(
            get,
            "COUNTERSIGN_PUBLIC_URL",
            &default_public,
            "an absolute http(s) URL",
        )?;
        if !matches!(public_url.scheme(), "http" | "https") || public_url.host_str().is_none() {
            return Err(ConfigError {
                variable: "COUNTERSIGN_PUBLIC_URL",
                problem: format!("{public_url} is not an absolute http(s) URL"),
            });
        }
        let site_root = PathBuf::from(get("COUNTERSIGN_SITE_ROOT").unwrap_or("target/site"));
        let log_format = match get("COUNTERSIGN_LOG_FORMAT").unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError {
                    variable: "COUNTERSIGN_LOG_FORMAT",
                    problem: format!("{other:?} is neither \"text\" nor \"json\""),
                });
            }
        };
        let oidc = oidc_from(&get, &public_url)?;
        let groups = |variable: &'static str, default: &str| -> Vec<String> {
            get(variable)
                .unwrap_or(default)
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let roles = app::domain::identity::RoleMap {
            admin_groups: groups("COUNTERSIGN_ADMIN_GROUPS", "countersign-admins"),
            approver_groups: groups("COUNTERSIGN_APPROVER_GROUPS", "countersign-approvers"),
            auditor_groups: groups("COUNTERSIGN_AUDITOR_GROUPS", "countersign-auditors"),
        };
        let session_idle_minutes =
            bounded(get, "COUNTERSIGN_SESSION_IDLE_MINUTES", 60, 1..=24 * 60)?;
        let session_max_hours = bounded(get, "COUNTERSIGN_SESSION_MAX_HOURS", 12, 1..=24 * 30)?;
        let reauth_skew_secs = bounded(get, "COUNTERSIGN_REAUTH_SKEW_SECS", 5, 0..=120)?;
        let token_max_days = bounded(
            get,
            "COUNTERSIGN_TOKEN_MAX_DAYS",
            app::domain::tokens::DEFAULT_MAX_DAYS,
            1..=app::domain::tokens::MAX_DAYS,
        )?;
        let directory = app::domain::directory::DirectorySettings {
            mode: one_of(get, "COUNTERSIGN_DIRECTORY")?,
            match_key: one_of(get, "COUNTERSIGN_SCIM_MATCH")?,
        };
        let secret_key = match get("COUNTERSIGN_SECRET_KEY") {
            None => None,
            Some(raw) => Some(
                app::domain::provisioning::sealing::SecretKey::parse(raw).map_err(|err| {
                    ConfigError {
                        variable: "COUNTERSIGN_SECRET_KEY",
                        problem: err.to_string(),
                    }
                })?,
            ),
        };
        let interval_ms = bounded(get, "COUNTERSIGN_OUTBOX_INTERVAL_MS", 1000, 0..=600_000)?;
        let outbox_interval =
            (interval_ms > 0).then(|| std::time::Duration::from_millis(interval_ms as u64));
        let outbox_lease_secs = bounded(get, "COUNTERSIGN_OUTBOX_LEASE_SECS", 120, 30..=3600)?;
        let smtp =
            app::domain::notify::SmtpSettings::from_vars(get).map_err(|err| ConfigError {
                variable: err.variable,
                problem: err.problem,
            })?;
        let metrics = MetricsAccess {
            addr: match get("COUNTERSIGN_METRICS_ADDR") {
                None => None,
                Some(_) => Some(parse(
                    get,
                    "COUNTERSIGN_METRICS_ADDR",
                    "",
                    "a socket address such as 127.0.0.1:9100",
                )?),
            },
            token: match get("COUNTERSIGN_METRICS_TOKEN") {
                Some(token) if token.len() < 32 => {
                    return Err(ConfigError {
                        variable: "COUNTERSIGN_METRICS_TOKEN",
                        problem: "must be at least 32 characters (e.g. openssl rand -hex 32)"
                            .into(),
                    });
                }
                token => token.map(str::to_owned),
            },
        };
        let shutdown_grace = std::time::Duration::from_secs(bounded(
            get,
            "COUNTERSIGN_SHUTDOWN_GRACE_SECS",
            30,
            0..=600,
        )? as u64);
        let per_minute = |variable: &'static str, default: i64| {
            bounded(get, variable, default, 0..=1_000_000).map(|n| n as u32)
        };
        let rate_limits = crate::rate_limit::RateLimitConfig {
            sign_in_per_minute: per_minute("COUNTERSIGN_RATE_LIMIT_SIGN_IN_PER_MINUTE", 60)?,
            api_per_minute: per_minute("COUNTERSIGN_RATE_LIMIT_API_PER_MINUTE", 600)?,
            trusted_proxies: crate::rate_limit::parse_proxies(
                get("COUNTERSIGN_TRUSTED_PROXIES").unwrap_or(""),
            )
            .map_err(|problem| ConfigError {
                variable: "COUNTERSIGN_TRUSTED_PROXIES",
                problem,
            })?,
        };
        Ok(Config {
            rate_limits,
            metrics,
            shutdown_grace,
            smtp,
            directory,
            secret_key,
            outbox_interval,
            outbox_lease_secs,
            reauth_skew_secs,
            token_max_days,
            database_url,
            addr,
            public_url,
            site_root,
            log_format,
            oidc,
            roles,
            session_idle_minutes,
            session_max_hours,
        })
    }

    /// Cookies carry `Secure` when people reach the app over https.
    pub fn cookies_secure(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

fn oidc_from<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    public_url: &Url,
) -> Result<Option<OidcConfig>, ConfigError> {
    let Some(issuer) = get("OIDC_ISSUER_URL") else {
        return Ok(None);
    };
    let issuer_url: Url = issuer.parse().map_err(|_| ConfigError {
        variable: "OIDC_ISSUER_URL",
        problem: format!("{issuer:?} is not an absolute URL"),
    })?;
    let required = |variable: &'static str| {
        get(variable).map(str::to_owned).ok_or(ConfigError {
            variable,
            problem: "must be set when OIDC_ISSUER_URL is".into(),
        })
    };
    let client_id = required("OIDC_CLIENT_ID")?;
    let client_secret = required("OIDC_CLIENT_SECRET")?;
    let default_redirect = public_url
        .join("/auth/callback")
        .map(|u| u.to_string())
        .unwrap_or_default();
    let redirect_url: Url = parse(
        get,
        "OIDC_REDIRECT_URL",
        &default_redirect,
        "an absolute URL ending in /auth/callback",
    )?;
    let scopes: Vec<String> = get("OIDC_SCOPES")
        .unwrap_or("openid profile email")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return Err(ConfigError {
            variable: "OIDC_SCOPES",
            problem: "must include openid".into(),
        });
    }
    Ok(Some(OidcConfig {
        issuer_url,
        client_id,
        client_secret,
        redirect_url,
        scopes,
        groups_claim: get("OIDC_GROUPS_CLAIM").unwrap_or("groups").to_owned(),
        http_timeout_secs: bounded(get, "OIDC_HTTP_TIMEOUT_SECS", 5, 1..=60)? as u64,
        clock_skew_secs: bounded(get, "OIDC_CLOCK_SKEW_SECS", 60, 0..=600)?,
    }))
}

/// An integer variable within `range`, or its default.
fn bounded<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
    variable: &'static str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ConfigError> {
    let Some(raw) = get(variable) else {
        return Ok(default);
    };
    match raw.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ConfigError {
            variable,
            problem: format!(
                "{raw:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// A variable that takes one of a string enum's spellings, or its default.
fn one_of<'a, T>(
    get: impl Fn(&str) -> Option<&'a str>,
    variable: &'static str,
) -> Result<T, ConfigError>
where
    T: FromStr + Default + Copy + SpelledAs,
{
    let Some(raw) = get(variable) else {
        return Ok(T::default());
    };
    raw.parse().map_err(|_| ConfigError {
        variable,
        problem: format!(
            "{raw:?} is not one of {}",
            T::spellings()
                .iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// The spellings a configuration enum accepts.
trait SpelledAs {
    fn spellings() -> Vec<&'static str>;
}

impl SpelledAs for app::types::DirectoryMode {
    fn spellings() -> Vec<&'static str> {
        Self::ALL.iter().map(|m| m.as_str()).collect()
    }
}

impl SpelledAs for app::types::ScimMatchKey {
    fn spellings() -> Vec<&'static str> {
        Self::ALL.iter().map(|m| m.as_str()).collect()
    }
}

fn parse<'a, T: FromStr>(
    get: impl Fn(&str) -> Option<&'a str>,
    variable: &'static str,
    default: &str,
    expected: &str,
) -> Result<T, ConfigError> {
    let raw = get(variable).unwrap_or(default);
    raw.parse().map_err(|_| ConfigError {
        variable,
        problem: format!("{raw:?} is not {expected}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_give_a_local_sqlite_demo() {
        let config = Config::from_vars(&vars(&[])).unwrap();
        assert_eq!(config.database_url, "sqlite:countersign.db");
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.public_origin(), "http://127.0.0.1:3000");
        assert!(!config.cookies_secure());
    }

    #[test]
    fn bad_address_names_the_variable() {
        let err = Config::from_vars(&vars(&[("COUNTERSIGN_ADDR", "port 80")])).unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_ADDR");
        assert!(err.to_string().starts_with("COUNTERSIGN_ADDR: "));
    }

    #[test]
    fn unknown_database_scheme_is_refused() {
        let err = Config::from_vars(&vars(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let config = Config::from_vars(&vars(&[(
            "COUNTERSIGN_PUBLIC_URL",
            "https://access.example.com/",
        )]))
        .unwrap();
        assert!(config.cookies_secure());
        assert_eq!(config.public_origin(), "https://access.example.com");
    }

    #[test]
    fn oidc_needs_a_client_when_an_issuer_is_set() {
        let err = Config::from_vars(&vars(&[("OIDC_ISSUER_URL", "https://idp.example.com")]))
            .unwrap_err();
        assert_eq!(err.variable, "OIDC_CLIENT_ID");
    }

    #[test]
    fn oidc_redirect_defaults_to_the_public_callback() {
        let config = Config::from_vars(&vars(&[
            ("OIDC_ISSUER_URL", "https://idp.example.com"),
            ("OIDC_CLIENT_ID", "countersign"),
            ("OIDC_CLIENT_SECRET", "s3cret"),
            ("COUNTERSIGN_PUBLIC_URL", "https://access.example.com"),
        ]))
        .unwrap();
        let oidc = config.oidc.unwrap();
        assert_eq!(
            oidc.redirect_url.as_str(),
            "https://access.example.com/auth/callback"
        );
        assert!(!format!("{oidc:?}").contains("s3cret"));
    }

    #[test]
    fn out_of_range_session_limit_names_the_variable() {
        let err = Config::from_vars(&vars(&[("COUNTERSIGN_SESSION_MAX_HOURS", "0")])).unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_SESSION_MAX_HOURS");
    }

    #[test]
    fn role_groups_are_comma_separated() {
        let config = Config::from_vars(&vars(&[(
            "COUNTERSIGN_ADMIN_GROUPS",
            "it-admins, sec-admins",
        )]))
        .unwrap();
        assert_eq!(config.roles.admin_groups, vec!["it-admins", "sec-admins"]);
    }

    #[test]
    fn the_directory_defaults_to_the_id_token() {
        let config = Config::from_vars(&vars(&[])).unwrap();
        assert_eq!(config.directory.mode, app::types::DirectoryMode::Oidc);
        assert_eq!(
            config.directory.match_key,
            app::types::ScimMatchKey::ExternalId
        );
        let config = Config::from_vars(&vars(&[
            ("COUNTERSIGN_DIRECTORY", "scim"),
            ("COUNTERSIGN_SCIM_MATCH", "user_name"),
        ]))
        .unwrap();
        assert_eq!(config.directory.mode, app::types::DirectoryMode::Scim);
        assert_eq!(
            config.directory.match_key,
            app::types::ScimMatchKey::UserName
        );
    }

    #[test]
    fn an_unknown_directory_setting_names_the_variable() {
        let err = Config::from_vars(&vars(&[("COUNTERSIGN_DIRECTORY", "ldap")])).unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_DIRECTORY");
        assert!(err.problem.contains("\"scim\""), "{}", err.problem);
        let err = Config::from_vars(&vars(&[("COUNTERSIGN_SCIM_MATCH", "email")])).unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_SCIM_MATCH");
    }

    #[test]
    fn a_secret_key_must_be_32_bytes_and_never_shows() {
        let err = Config::from_vars(&vars(&[("COUNTERSIGN_SECRET_KEY", "too-short")])).unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_SECRET_KEY");
        assert!(!err.to_string().contains("too-short"));
        let key = "0123456789abcdef".repeat(4);
        let config = Config::from_vars(&vars(&[("COUNTERSIGN_SECRET_KEY", &key)])).unwrap();
        assert!(config.secret_key.is_some());
        assert!(!format!("{config:?}").contains(&key));
    }

    #[test]
    fn an_outbox_interval_of_zero_turns_the_worker_off() {
        let config = Config::from_vars(&vars(&[("COUNTERSIGN_OUTBOX_INTERVAL_MS", "0")])).unwrap();
        assert!(config.outbox_interval.is_none());
        let config = Config::from_vars(&vars(&[])).unwrap();
        assert_eq!(
            config.outbox_interval,
            Some(std::time::Duration::from_secs(1))
        );
    }

    #[test]
    fn relative_public_url_is_refused() {
        let err = Config::from_vars(&vars(&[("COUNTERSIGN_PUBLIC_URL", "/portal")])).unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_PUBLIC_URL");
    }
}
