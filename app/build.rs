//! `sqlx::migrate!` embeds `migrations/` at compile time: a migration added or
//! changed must rebuild this crate, or the binary would run without it.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
