//! The rules of the product, in plain async Rust over a [`crate::db::Db`].
