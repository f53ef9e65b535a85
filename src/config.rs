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
        Ok(Config {
            database_url,
            addr,
            public_url,
            site_root,
            log_format,
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
    fn relative_public_url_is_refused() {
        let err = Config::from_vars(&vars(&[("COUNTERSIGN_PUBLIC_URL", "/portal")])).unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_PUBLIC_URL");
    }
}
