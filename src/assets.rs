//! What a browser downloads besides the pages: the WebAssembly, its JavaScript
//! glue and the stylesheet, as `scripts/build.sh` writes them to `<site root>/pkg`.
//!
//! A build names the three by the hash of their content
//! (`countersign.<hash>.js`, `countersign.<hash>_bg.wasm`, `countersign.<hash>.css`)
//! and writes that name (`countersign.<hash>`) to `<site root>/output-name`; the
//! page's `<head>` links to it (Leptos' `output_name`, `app::shell`). Each file
//! sits beside its brotli and gzip copies (`.br`, `.gz`), compressed once at
//! their best level when built rather than on every request.
//!
//! So a hashed file is `immutable` for a year (a new build has new names, so a
//! browser never holds a stale one), anything else under `/pkg` is revalidated
//! (`no-cache`), and every other response (pages, the API) says `no-cache,
//! private` unless its handler chose otherwise (the audit export's `no-store`).

use std::path::Path;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
};
use tower_http::services::ServeDir;

/// The assets' name when the build wrote no hashed name: `countersign.js`,
/// `countersign_bg.wasm`, `countersign.css`.
pub const UNHASHED: &str = "countersign";

/// The file, in the site root, holding the hashed name of this build's assets.
pub const OUTPUT_NAME_FILE: &str = "output-name";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
const PAGE: &str = "no-cache, private";

#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} holds {found:?}, not an asset name such as countersign.0123456789abcdef")]
    BadName { path: String, found: String },
}

/// The name of this build's assets: the hashed one `scripts/build.sh` wrote to
/// `<site root>/output-name`, or [`UNHASHED`] when there is no such file.
pub fn output_name(site_root: &Path) -> Result<String, AssetsError> {
    let path = site_root.join(OUTPUT_NAME_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(UNHASHED.to_owned()),
        Err(source) => {
            return Err(AssetsError::Read {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let name = text.trim();
    let valid = name
        .strip_prefix(UNHASHED)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|hash| {
            (8..=64).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
        });
    if !valid {
        return Err(AssetsError::BadName {
            path: path.display().to_string(),
            found: name.to_owned(),
        });
    }
    Ok(name.to_owned())
}

/// `/pkg/*`: the files, their precompressed copies, and their cache headers.
pub fn routes<S: Clone + Send + Sync + 'static>(site_root: &Path, output_name: &str) -> Router<S> {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    // Only a build's hashed files never change under their name.
    let hashed_prefix = (output_name != UNHASHED).then(|| format!("{output_name}."));
    let hashed_wasm = format!("{output_name}_bg.wasm");
    Router::new()
        .nest_service("/pkg", files)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let file = request.uri().path().rsplit('/').next().unwrap_or_default();
            let hashed = hashed_prefix
                .as_deref()
                .is_some_and(|prefix| file.starts_with(prefix) || file == hashed_wasm);
            async move {
                let mut response = next.run(request).await;
                let policy = if hashed && response.status().is_success() {
                    IMMUTABLE
                } else {
                    REVALIDATE
                };
                let headers = response.headers_mut();
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
                // Which copy was sent depends on Accept-Encoding: a shared cache
                // must not hand the brotli one to a browser that asked for gzip.
                headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                response
            }
        }))
}

/// Pages, server functions and the API: revalidated every time, and never
/// kept by a shared cache (they are one person's). A handler that set its own
/// `Cache-Control` keeps it.
pub async fn pages_not_cached(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(PAGE));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site_with(name: Option<&str>) -> tempdir::Dir {
        let dir = tempdir::Dir::new();
        if let Some(name) = name {
            std::fs::write(dir.path().join(OUTPUT_NAME_FILE), name).unwrap();
        }
        dir
    }

    mod tempdir {
        /// A directory removed when dropped.
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let path = std::env::temp_dir().join(format!(
                    "countersign-assets-{}",
                    uuid::Uuid::new_v4().simple()
                ));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn a_site_without_a_hashed_name_uses_the_plain_one() {
        let site = site_with(None);
        assert_eq!(output_name(site.path()).unwrap(), UNHASHED);
    }

    #[test]
    fn the_hashed_name_is_read_trimmed() {
        let site = site_with(Some("countersign.0123456789abcdef\n"));
        assert_eq!(
            output_name(site.path()).unwrap(),
            "countersign.0123456789abcdef"
        );
    }

    #[test]
    fn a_name_that_could_leave_the_pkg_directory_is_refused() {
        for bad in [
            "",
            "countersign",
            "countersign.",
            "countersign.0123456789abcdeg",
            "countersign.01234567/../x",
            "other.0123456789abcdef",
            "countersign.0123456789abcdef\" onload=\"x",
        ] {
            let site = site_with(Some(bad));
            let err = output_name(site.path()).unwrap_err();
            assert!(matches!(err, AssetsError::BadName { .. }), "{bad:?}: {err}");
        }
    }
}
