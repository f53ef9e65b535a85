//! What an LDAP server's answer means for a job: done, worth retrying, or
//! failed until someone changes something. Result codes are RFC 4511 §A.1's;
//! the server's own diagnostic text is kept (it says what Active Directory or
//! OpenLDAP objected to), never a credential.

use ldap3::{LdapError, LdapResult};

use crate::domain::provisioning::connector::{Outcome, answer_excerpt};

pub const SUCCESS: u32 = 0;
pub const TIME_LIMIT_EXCEEDED: u32 = 3;
pub const COMPARE_FALSE: u32 = 5;
pub const COMPARE_TRUE: u32 = 6;
pub const ADMIN_LIMIT_EXCEEDED: u32 = 11;
pub const NO_SUCH_ATTRIBUTE: u32 = 16;
pub const ATTRIBUTE_OR_VALUE_EXISTS: u32 = 20;
pub const NO_SUCH_OBJECT: u32 = 32;
pub const INVALID_CREDENTIALS: u32 = 49;
pub const BUSY: u32 = 51;
pub const UNAVAILABLE: u32 = 52;
pub const UNWILLING_TO_PERFORM: u32 = 53;

/// The name RFC 4511 gives a result code.
pub fn code_name(rc: u32) -> &'static str {
    match rc {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        13 => "confidentialityRequired",
        16 => "noSuchAttribute",
        17 => "undefinedAttributeType",
        19 => "constraintViolation",
        20 => "attributeOrValueExists",
        21 => "invalidAttributeSyntax",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        54 => "loopDetect",
        64 => "namingViolation",
        65 => "objectClassViolation",
        68 => "entryAlreadyExists",
        80 => "other",
        _ => "unknown result code",
    }
}

/// Codes that say "not now" rather than "not like this".
pub fn is_transient(rc: u32) -> bool {
    matches!(
        rc,
        TIME_LIMIT_EXCEEDED | ADMIN_LIMIT_EXCEEDED | BUSY | UNAVAILABLE
    )
}

/// `doing` (e.g. "binding as cn=…") failed with `result`.
pub fn of_result(doing: &str, result: &LdapResult) -> Outcome {
    let text = answer_excerpt(&result.text, 300);
    let mut message = format!("{doing}: {} ({})", code_name(result.rc), result.rc);
    if !text.is_empty() {
        message.push_str(": ");
        message.push_str(&text);
    }
    if is_transient(result.rc) {
        Outcome::Retry(message)
    } else {
        Outcome::Fail(message)
    }
}

/// `doing` failed before the server answered, or with an error result.
pub fn of_error(doing: &str, err: &LdapError) -> Outcome {
    match err {
        LdapError::LdapResult { result } => of_result(doing, result),
        LdapError::Timeout { .. } => Outcome::Retry(format!("{doing}: timed out")),
        // rustls reports a certificate it refuses as an I/O error.
        LdapError::Io { source } => match tls_refusal(source) {
            Some(why) => Outcome::Fail(format!(
                "{doing}: TLS refused: {why} (is the certificate authority right?)"
            )),
            None => Outcome::Retry(format!("{doing}: {}", io_words(source))),
        },
        // The connection closed under the operation: the server went away.
        LdapError::OpSend { .. } | LdapError::ResultRecv { .. } | LdapError::EndOfStream => {
            Outcome::Retry(format!("{doing}: the connection was closed"))
        }
        LdapError::Rustls { source } => Outcome::Fail(format!(
            "{doing}: TLS refused: {source} (is the certificate authority right?)"
        )),
        LdapError::DNSName { .. } => {
            Outcome::Fail(format!("{doing}: the URL's host is not a valid TLS name"))
        }
        other => Outcome::Fail(format!(
            "{doing}: {}",
            answer_excerpt(&other.to_string(), 300)
        )),
    }
}

fn tls_refusal(err: &std::io::Error) -> Option<String> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(|e| e.to_string())
}

fn io_words(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        ConnectionRefused => "connection refused".into(),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
            "the connection was closed".into()
        }
        TimedOut => "timed out".into(),
        _ => answer_excerpt(&err.to_string(), 200),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rc: u32, text: &str) -> LdapResult {
        LdapResult {
            rc,
            matched: String::new(),
            text: text.into(),
            refs: vec![],
            ctrls: vec![],
        }
    }

    #[test]
    fn a_wrong_password_fails_with_the_servers_message() {
        let outcome = of_result(
            "binding as cn=svc",
            &result(49, "80090308: LdapErr: DSID-0C09044E"),
        );
        assert_eq!(
            outcome,
            Outcome::Fail(
                "binding as cn=svc: invalidCredentials (49): 80090308: LdapErr: DSID-0C09044E"
                    .into()
            )
        );
    }

    #[test]
    fn a_busy_or_unavailable_server_is_retried() {
        for rc in [BUSY, UNAVAILABLE, TIME_LIMIT_EXCEEDED, ADMIN_LIMIT_EXCEEDED] {
            assert!(
                matches!(of_result("x", &result(rc, "")), Outcome::Retry(_)),
                "{rc}"
            );
        }
        let unavailable = of_result("adding", &result(UNAVAILABLE, ""));
        assert_eq!(
            unavailable,
            Outcome::Retry("adding: unavailable (52)".into())
        );
    }

    #[test]
    fn refusals_fail_until_someone_changes_something() {
        for rc in [NO_SUCH_OBJECT, 50, 65, 19, 34, UNWILLING_TO_PERFORM, 8] {
            assert!(
                matches!(of_result("x", &result(rc, "")), Outcome::Fail(_)),
                "{rc}"
            );
        }
    }

    #[tokio::test]
    async fn network_failures_are_retried() {
        let refused = LdapError::Io {
            source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        assert_eq!(
            of_error("connecting to ldap://127.0.0.1:1", &refused),
            Outcome::Retry("connecting to ldap://127.0.0.1:1: connection refused".into())
        );
        let elapsed = tokio::time::timeout(std::time::Duration::ZERO, std::future::pending::<()>())
            .await
            .unwrap_err();
        let timeout = LdapError::Timeout { elapsed };
        assert!(matches!(of_error("searching", &timeout), Outcome::Retry(_)));
        assert!(matches!(
            of_error("searching", &LdapError::EndOfStream),
            Outcome::Retry(_)
        ));
    }

    #[test]
    fn a_refused_certificate_fails_it_is_not_retried() {
        let refused = LdapError::Io {
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            ),
        };
        match of_error("connecting", &refused) {
            Outcome::Fail(message) => assert!(
                message.starts_with("connecting: TLS refused: invalid peer certificate"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_error_result_is_read_like_a_result() {
        let err = LdapError::LdapResult {
            result: result(INVALID_CREDENTIALS, "bad"),
        };
        assert_eq!(
            of_error("binding", &err),
            Outcome::Fail("binding: invalidCredentials (49): bad".into())
        );
    }
}
