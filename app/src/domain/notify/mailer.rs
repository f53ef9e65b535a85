//! Sending mail over SMTP (lettre, on rustls): the settings from
//! `COUNTERSIGN_SMTP_*`, and the outbox handler that sends one mail per job.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{Header, HeaderName, HeaderValue},
    },
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};

use super::{MailJob, templates};
use crate::{
    db::{Db, notifications as store, outbox::JobRow},
    domain::outbox::{Attempt, JobHandler},
};

/// One SMTP conversation gives up after this long (well inside a lease).
const TIMEOUT: Duration = Duration::from_secs(15);

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (port 465, `smtps://`).
    Implicit,
    /// No TLS: only to a mail server on this machine (loopback).
    None,
}

/// Where and how mail is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<String>,
    /// `From:`, e.g. `Countersign <countersign@example.com>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    // The password never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// A setting that cannot be used, and the variable to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct SmtpConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn problem(variable: &'static str, problem: impl Into<String>) -> SmtpConfigError {
    SmtpConfigError {
        variable,
        problem: problem.into(),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl SmtpSettings {
    /// Reads `COUNTERSIGN_SMTP_URL` (`smtp://[user:password@]host[:port][?tls=starttls|none]`
    /// or `smtps://…`), or else `COUNTERSIGN_SMTP_HOST` with `_PORT`, `_USER`,
    /// `_PASSWORD` and `_TLS` (`starttls`, `tls`, `none`); `COUNTERSIGN_SMTP_FROM`
    /// with either. `None` when neither is set: mail is off.
    pub fn from_vars<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Option<SmtpSettings>, SmtpConfigError> {
        let mut settings = if let Some(raw) = get("COUNTERSIGN_SMTP_URL") {
            Self::from_url(raw)?
        } else if let Some(host) = get("COUNTERSIGN_SMTP_HOST") {
            let tls = match get("COUNTERSIGN_SMTP_TLS").unwrap_or("starttls") {
                "starttls" => SmtpTls::StartTls,
                "tls" => SmtpTls::Implicit,
                "none" => SmtpTls::None,
                other => {
                    return Err(problem(
                        "COUNTERSIGN_SMTP_TLS",
                        format!("{other:?} is not one of starttls, tls, none"),
                    ));
                }
            };
            let port = match get("COUNTERSIGN_SMTP_PORT") {
                Some(p) => p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| problem("COUNTERSIGN_SMTP_PORT", "must be a port number"))?,
                None => default_port(tls),
            };
            SmtpSettings {
                host: host.to_owned(),
                port,
                tls,
                user: get("COUNTERSIGN_SMTP_USER").map(str::to_owned),
                password: get("COUNTERSIGN_SMTP_PASSWORD").map(str::to_owned),
                from: String::new(),
            }
        } else {
            return Ok(None);
        };
        let from = get("COUNTERSIGN_SMTP_FROM").ok_or_else(|| {
            problem(
                "COUNTERSIGN_SMTP_FROM",
                "must be set when mail is on (e.g. \"Countersign <countersign@example.com>\")",
            )
        })?;
        if from.parse::<Mailbox>().is_err() {
            return Err(problem(
                "COUNTERSIGN_SMTP_FROM",
                format!("{from:?} is not a mail address"),
            ));
        }
        settings.from = from.to_owned();
        if settings.tls == SmtpTls::None && !is_loopback(&settings.host) {
            return Err(problem(
                "COUNTERSIGN_SMTP_TLS",
                "mail without TLS is only allowed to a server on loopback; use starttls or tls",
            ));
        }
        if settings.user.is_some() != settings.password.is_some() {
            return Err(problem(
                "COUNTERSIGN_SMTP_PASSWORD",
                "set the user and the password together",
            ));
        }
        Ok(Some(settings))
    }

    fn from_url(raw: &str) -> Result<SmtpSettings, SmtpConfigError> {
        const VAR: &str = "COUNTERSIGN_SMTP_URL";
        let url = url::Url::parse(raw).map_err(|_| problem(VAR, "is not a URL"))?;
        let mut tls = match url.scheme() {
            "smtps" => SmtpTls::Implicit,
            "smtp" => SmtpTls::StartTls,
            _ => return Err(problem(VAR, "must start with smtp:// or smtps://")),
        };
        for (key, value) in url.query_pairs() {
            tls = match (key.as_ref(), value.as_ref(), tls) {
                ("tls", "starttls", SmtpTls::StartTls) => SmtpTls::StartTls,
                ("tls", "none", SmtpTls::StartTls) => SmtpTls::None,
                _ => {
                    return Err(problem(
                        VAR,
                        "the only option is tls=starttls or tls=none (with smtp://)",
                    ));
                }
            };
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| problem(VAR, "names no host"))?;
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| problem(VAR, "the user or password is badly encoded"))
        };
        let user = (!url.username().is_empty())
            .then(|| decode(url.username()))
            .transpose()?;
        let password = url.password().map(decode).transpose()?;
        Ok(SmtpSettings {
            host: host.to_owned(),
            port: url.port().unwrap_or(default_port(tls)),
            tls,
            user,
            password,
            from: String::new(),
        })
    }
}

fn default_port(tls: SmtpTls) -> u16 {
    match tls {
        SmtpTls::Implicit => 465,
        SmtpTls::StartTls => 587,
        SmtpTls::None => 25,
    }
}

/// `%XX` decoding of a URL's user or password.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A connection recipe to the mail server and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Mailer, String> {
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            mode => {
                let params = TlsParameters::new(settings.host.clone())
                    .map_err(|e| format!("TLS for {}: {e}", settings.host))?;
                if mode == SmtpTls::Implicit {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if let (Some(user), Some(password)) = (&settings.user, &settings.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let from = settings
            .from
            .parse()
            .map_err(|_| "COUNTERSIGN_SMTP_FROM is not a mail address".to_owned())?;
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }
}

/// `List-Unsubscribe` (RFC 2369): where to stop this kind of mail.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// Sends mail jobs for the [`crate::domain::outbox::Worker`].
pub struct MailHandler {
    db: Db,
    mailer: Mailer,
    public_url: String,
}

impl MailHandler {
    pub fn new(db: Db, mailer: Mailer, public_url: &str) -> MailHandler {
        MailHandler {
            db,
            mailer,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    fn message(&self, job: &MailJob) -> Result<Message, String> {
        let unsubscribe = job
            .unsubscribe_token
            .as_ref()
            .map(|token| format!("{}/notifications/unsubscribe/{token}", self.public_url));
        let rendered = templates::render(
            &job.notice,
            &job.to_name,
            &self.public_url,
            unsubscribe.as_deref(),
        );
        let to = Mailbox::new(
            Some(job.to_name.clone()),
            job.to_address
                .parse()
                .map_err(|_| format!("{:?} is not a mail address", job.to_address))?,
        );
        let mut builder = Message::builder()
            .from(self.mailer.from.clone())
            .to(to)
            .subject(rendered.subject);
        if let Some(url) = unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| format!("the mail cannot be built: {e}"))
    }
}

#[async_trait::async_trait]
impl JobHandler for MailHandler {
    async fn attempt(&self, job: &JobRow) -> Attempt {
        let mail: MailJob = match serde_json::from_str(&job.payload_json) {
            Ok(mail) => mail,
            Err(err) => return Attempt::Fail(format!("the job's payload cannot be read: {err}")),
        };
        let topic = mail.notice.topic().map(|t| t.as_str());
        match store::declined(self.db.pool(), &mail.to_user_id, topic).await {
            Ok(true) => {
                return Attempt::Done("not sent: the person turned this mail off or left".into());
            }
            Ok(false) => {}
            Err(err) => return Attempt::Retry(format!("database: {err}")),
        }
        let message = match self.message(&mail) {
            Ok(message) => message,
            Err(err) => return Attempt::Fail(err),
        };
        match self.mailer.transport.send(message).await {
            Ok(response) => Attempt::Done(format!(
                "{} {}",
                response.code(),
                response.first_line().unwrap_or("accepted")
            )),
            Err(err) if err.is_permanent() => {
                Attempt::Fail(format!("the mail server refused it: {err}"))
            }
            Err(err) => Attempt::Retry(format!("the mail server: {err}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Option<SmtpSettings>, SmtpConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SmtpSettings::from_vars(|k| map.get(k).map(String::as_str))
    }

    const FROM: (&str, &str) = ("COUNTERSIGN_SMTP_FROM", "Countersign <cs@example.com>");

    #[test]
    fn mail_is_off_without_a_server() {
        assert_eq!(read(&[FROM]), Ok(None));
    }

    #[test]
    fn an_smtps_url_means_implicit_tls_with_its_credentials() {
        let s = read(&[
            (
                "COUNTERSIGN_SMTP_URL",
                "smtps://me%40x:p%2Fw@mail.example.com",
            ),
            FROM,
        ])
        .unwrap()
        .unwrap();
        assert_eq!((s.tls, s.port), (SmtpTls::Implicit, 465));
        assert_eq!(s.user.as_deref(), Some("me@x"));
        assert_eq!(s.password.as_deref(), Some("p/w"));
        assert!(!format!("{s:?}").contains("p/w"));
    }

    #[test]
    fn plain_smtp_only_to_loopback() {
        let plain = |url: &str| read(&[("COUNTERSIGN_SMTP_URL", url), FROM]);
        assert_eq!(
            plain("smtp://127.0.0.1:2525?tls=none")
                .unwrap()
                .unwrap()
                .tls,
            SmtpTls::None
        );
        let err = plain("smtp://mail.example.com?tls=none").unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_SMTP_TLS");
        assert_eq!(
            plain("smtp://mail.example.com").unwrap().unwrap().tls,
            SmtpTls::StartTls
        );
    }

    #[test]
    fn host_variables_and_their_mistakes_name_the_variable() {
        let s = read(&[
            ("COUNTERSIGN_SMTP_HOST", "mail.example.com"),
            ("COUNTERSIGN_SMTP_TLS", "tls"),
            FROM,
        ])
        .unwrap()
        .unwrap();
        assert_eq!((s.port, s.tls), (465, SmtpTls::Implicit));
        let err = read(&[("COUNTERSIGN_SMTP_HOST", "mail.example.com")]).unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_SMTP_FROM");
        let err = read(&[
            ("COUNTERSIGN_SMTP_HOST", "mail.example.com"),
            ("COUNTERSIGN_SMTP_TLS", "maybe"),
            FROM,
        ])
        .unwrap_err();
        assert_eq!(err.variable, "COUNTERSIGN_SMTP_TLS");
    }
}
