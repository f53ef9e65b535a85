//! The one way a value goes into a link's query string, in the browser and on
//! the server (the pages' filters and pager, the guard's `next`).

/// Percent-encodes a query value: everything but RFC 3986's unreserved
/// characters, so it reads back the same under any query decoder.
pub fn urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
