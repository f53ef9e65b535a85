//! The filter that finds a person's entry: an administrator's template such as
//! `(uid={userName})` or `(&(objectClass=user)(mail={email}))`, filled with the
//! person's values escaped as RFC 4515 §3 requires, so a value can never
//! change the filter's shape (`*`, `(`, `)`, `\` and NUL become `\2a`, `\28`,
//! `\29`, `\5c`, `\00`).

use crate::domain::provisioning::connector::Person;

/// The placeholders a template may hold.
pub const USER_NAME: &str = "{userName}";
pub const EMAIL: &str = "{email}";
const MAX_CHARS: usize = 500;

/// Why a template or a person's value cannot make a filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("must be an LDAP filter in parentheses, e.g. (uid={{userName}})")]
    NotParenthesised,
    #[error("must hold {{userName}} or {{email}}, which are replaced by the person's value")]
    NoPlaceholder,
    #[error("{0} is not a placeholder: use {{userName}} or {{email}}")]
    UnknownPlaceholder(String),
    #[error("is not a valid LDAP filter (RFC 4515)")]
    Syntax,
    #[error("must be at most {MAX_CHARS} characters")]
    TooLong,
    #[error("the person has no e-mail address, which the user filter needs")]
    NoEmail,
}

/// One piece of a template.
enum Piece<'a> {
    Text(&'a str),
    UserName,
    Email,
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, FilterError> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push(Piece::Text(&rest[..open]));
        let after = &rest[open..];
        let close = after
            .find('}')
            .ok_or_else(|| FilterError::UnknownPlaceholder(after.to_owned()))?;
        out.push(match &after[..=close] {
            USER_NAME => Piece::UserName,
            EMAIL => Piece::Email,
            other => return Err(FilterError::UnknownPlaceholder(other.to_owned())),
        });
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(FilterError::UnknownPlaceholder("}".into()));
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// Checks an administrator's template: parenthesised, at least one known
/// placeholder, no other, and a valid filter once filled.
pub fn check_template(template: &str) -> Result<(), FilterError> {
    if template.chars().count() > MAX_CHARS {
        return Err(FilterError::TooLong);
    }
    if !(template.starts_with('(') && template.ends_with(')')) {
        return Err(FilterError::NotParenthesised);
    }
    let parts = pieces(template)?;
    if !parts.iter().any(|p| !matches!(p, Piece::Text(_))) {
        return Err(FilterError::NoPlaceholder);
    }
    let sample = Person {
        id: String::new(),
        user_name: "sample*)(value".into(),
        email: Some("sample@example.com".into()),
        name: String::new(),
    };
    let filled = fill(template, &sample)?;
    ldap3::parse_filter(&filled).map_err(|()| FilterError::Syntax)?;
    Ok(())
}

/// The filter for `person`: each placeholder replaced by their value, escaped.
pub fn fill(template: &str, person: &Person) -> Result<String, FilterError> {
    let mut out = String::with_capacity(template.len() + 32);
    for piece in pieces(template)? {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::UserName => out.push_str(&escape(&person.user_name)),
            Piece::Email => {
                let email = person.email.as_deref().ok_or(FilterError::NoEmail)?;
                out.push_str(&escape(email));
            }
        }
    }
    Ok(out)
}

/// RFC 4515 §3: a value in a filter, with every character that has a meaning
/// in the filter's syntax written as `\XX`.
pub fn escape(value: &str) -> String {
    ldap3::ldap_escape(value).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(user_name: &str, email: Option<&str>) -> Person {
        Person {
            id: "u1".into(),
            user_name: user_name.into(),
            email: email.map(str::to_owned),
            name: "Alice Example".into(),
        }
    }

    #[test]
    fn values_are_escaped_as_rfc_4515_requires() {
        assert_eq!(escape("alice"), "alice");
        assert_eq!(escape("a*"), "a\\2a");
        assert_eq!(escape("(x)"), "\\28x\\29");
        assert_eq!(escape("back\\slash"), "back\\5cslash");
        assert_eq!(escape("nul\0"), "nul\\00");
        assert_eq!(escape("Zoë"), "Zoë", "UTF-8 stays as it is");
    }

    #[test]
    fn a_value_cannot_change_the_filters_shape() {
        let evil = person("*)(uid=*))(|(uid=*", None);
        let filter = fill("(uid={userName})", &evil).unwrap();
        assert_eq!(
            filter,
            "(uid=\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a)"
        );
        // Still one equality match: the whole value is the uid looked for.
        assert!(ldap3::parse_filter(&filter).is_ok());
        assert!(!filter[5..filter.len() - 1].contains(['(', ')', '*']));
        let star = fill("(uid={userName})", &person("*", None)).unwrap();
        assert_eq!(star, "(uid=\\2a)", "no wildcard match of everyone");
    }

    #[test]
    fn both_placeholders_fill_and_a_missing_email_is_refused() {
        let alice = person("alice", Some("alice@example.com"));
        assert_eq!(
            fill(
                "(&(objectClass=person)(|(uid={userName})(mail={email})))",
                &alice
            )
            .unwrap(),
            "(&(objectClass=person)(|(uid=alice)(mail=alice@example.com)))"
        );
        assert_eq!(
            fill("(mail={email})", &person("alice", None)),
            Err(FilterError::NoEmail)
        );
    }

    #[test]
    fn templates_are_checked_before_they_are_saved() {
        assert_eq!(check_template("(uid={userName})"), Ok(()));
        assert_eq!(check_template("(sAMAccountName={userName})"), Ok(()));
        assert_eq!(
            check_template("uid={userName}"),
            Err(FilterError::NotParenthesised)
        );
        assert_eq!(
            check_template("(uid=alice)"),
            Err(FilterError::NoPlaceholder)
        );
        assert_eq!(
            check_template("(uid={user})"),
            Err(FilterError::UnknownPlaceholder("{user}".into()))
        );
        assert_eq!(
            check_template("(uid={userName)"),
            Err(FilterError::UnknownPlaceholder("{userName)".into()))
        );
        assert_eq!(
            check_template("(uid={userName}))"),
            Err(FilterError::Syntax)
        );
        assert_eq!(
            check_template(&format!("(uid={{userName}}{})", "x".repeat(500))),
            Err(FilterError::TooLong)
        );
    }
}
