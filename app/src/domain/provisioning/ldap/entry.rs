//! Search entries read without trusting the server: ldap3's
//! `SearchEntry::construct` panics on a malformed entry, so the worker reads
//! the BER structure itself and skips what it cannot read.

use ldap3::{ResultEntry, asn1::StructureTag};

/// What the connector reads of an entry.
pub struct Entry {
    attrs: Vec<(String, Vec<String>)>,
}

impl Entry {
    /// The values of `name` (attribute names are case-insensitive).
    pub fn values(&self, name: &str) -> Vec<String> {
        self.attrs
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect()
    }
}

fn text(tag: StructureTag) -> Option<String> {
    String::from_utf8(tag.expect_primitive()?).ok()
}

// RFC 4511 §4.5.2: SearchResultEntry ::= [APPLICATION 4] SEQUENCE {
//     objectName LDAPDN, attributes PartialAttributeList }
fn parts(entry: ResultEntry) -> Option<(String, Vec<StructureTag>)> {
    let mut tags = entry.0.match_id(4)?.expect_constructed()?.into_iter();
    let dn = text(tags.next()?)?;
    let attrs = tags.next()?.expect_constructed()?;
    Some((dn, attrs))
}

/// The entry's DN.
pub fn dn(entry: ResultEntry) -> Option<String> {
    parts(entry).map(|(dn, _)| dn)
}

/// The entry's textual attribute values.
pub fn read(entry: ResultEntry) -> Option<Entry> {
    let (_, list) = parts(entry)?;
    let mut attrs = Vec::new();
    for attribute in list {
        let mut pieces = attribute.expect_constructed()?.into_iter();
        let name = text(pieces.next()?)?;
        let values = pieces
            .next()?
            .expect_constructed()?
            .into_iter()
            .filter_map(text)
            .collect();
        attrs.push((name, values));
    }
    Some(Entry { attrs })
}

/// A DN compared loosely: case and the spaces around separators do not count
/// (`CN=Payroll, OU=Groups` is `cn=payroll,ou=groups`).
pub fn normalise_dn(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| {
            rdn.split('=')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("=")
                .to_lowercase()
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_compare_without_case_or_spaces() {
        assert_eq!(
            normalise_dn("CN=Payroll, OU=Groups,DC=example, DC=org"),
            normalise_dn("cn=payroll,ou=groups,dc=example,dc=org")
        );
        assert_ne!(
            normalise_dn("cn=payroll,dc=a"),
            normalise_dn("cn=ledger,dc=a")
        );
    }

    #[test]
    fn a_malformed_entry_is_skipped_not_a_panic() {
        let tag = StructureTag {
            class: ldap3::asn1::TagClass::Application,
            id: 4,
            payload: ldap3::asn1::PL::P(b"not a sequence".to_vec()),
        };
        assert!(read(ResultEntry::new(tag.clone())).is_none());
        assert!(dn(ResultEntry::new(tag)).is_none());
    }
}
