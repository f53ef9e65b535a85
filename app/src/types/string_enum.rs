//! The one pattern for enums stored and sent as fixed strings.

/// A spelling that is none of a string enum's values: a form sent something
/// else, or a stored row holds a value this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what}")]
pub struct UnknownValue {
    /// The enum's name, e.g. `RequestStatus`.
    pub what: &'static str,
    pub value: String,
}

/// Declares an enum whose values are spelled as fixed strings (in the database,
/// forms and URLs): `as_str`, `ALL`, and `FromStr` that refuses any other
/// spelling with [`UnknownValue`]; on the server also `sqlx::Decode`, so a row
/// field of the enum reads its column directly. Serde attributes stay on the enum
/// (the wire format is declared there, separately).
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// [`FromStr`](std::str::FromStr) for callers that only ask whether it is one.
            pub fn parse(value: &str) -> Option<$name> {
                value.parse().ok()
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::types::UnknownValue;

            fn from_str(value: &str) -> Result<$name, $crate::types::UnknownValue> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::types::UnknownValue {
                        what: stringify!($name),
                        value: value.to_owned(),
                    }),
                }
            }
        }

        // Read from a row by name, so an unknown spelling fails the read with an
        // `UnknownValue` the db layer can name. (Not `#[sqlx(try_from = "String")]`:
        // sqlx 0.8's derive replaces a `try_from` error with "unprintable error".)
        #[cfg(feature = "ssr")]
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(
                value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
            ) -> Result<$name, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::types::{ItemKind, RequestStatus, TaskState, UnknownValue};

    #[test]
    fn every_value_reads_back_as_itself() {
        for kind in ItemKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert_eq!(TaskState::ALL.len(), 5);
    }

    #[test]
    fn an_unknown_spelling_is_refused_by_name() {
        assert_eq!(
            "on_hold".parse::<RequestStatus>(),
            Err(UnknownValue {
                what: "RequestStatus",
                value: "on_hold".into()
            })
        );
        assert_eq!(ItemKind::parse("Application"), None);
    }
}
