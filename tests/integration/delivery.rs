//! What a browser downloads and keeps (`src/assets.rs`): a build's hashed
//! assets cached for a year and served precompressed, pages revalidated and
//! compressed on the fly, whole, as the browser asks.

use std::io::Read;

use reqwest::{
    StatusCode,
    header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY},
};

use crate::support::TestApp;

const NAME: &str = "countersign.0123456789abcdef";

/// A site root as `scripts/build.sh` writes it; removed when dropped.
struct Site(std::path::PathBuf);

impl Site {
    /// With the build's hashed name when `hashed`, the plain one otherwise.
    fn new(hashed: bool) -> Site {
        let root = std::env::temp_dir().join(format!(
            "countersign-site-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let name = if hashed { NAME } else { "countersign" };
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        if hashed {
            std::fs::write(root.join("output-name"), format!("{NAME}\n")).unwrap();
        }
        for file in [
            format!("{name}.js"),
            format!("{name}_bg.wasm"),
            format!("{name}.css"),
        ] {
            let pkg = root.join("pkg");
            std::fs::write(pkg.join(&file), format!("raw {file}")).unwrap();
            std::fs::write(pkg.join(format!("{file}.br")), format!("br {file}")).unwrap();
            std::fs::write(pkg.join(format!("{file}.gz")), format!("gz {file}")).unwrap();
        }
        Site(root)
    }

    fn root(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn app_over(site: &Site) -> TestApp {
    TestApp::builder()
        .with_config(&[("COUNTERSIGN_SITE_ROOT", site.root())])
        .signed_in_as("alice")
        .spawn()
        .await
}

async fn get(app: &TestApp, path: &str, accept_encoding: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(ACCEPT_ENCODING, accept_encoding)
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_links_the_builds_hashed_assets_and_is_revalidated() {
    let site = Site::new(true);
    let app = app_over(&site).await;

    let page = app.get("/").await;

    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, CACHE_CONTROL), "no-cache, private");
    let html = page.text().await.unwrap();
    for asset in [
        format!("/pkg/{NAME}.css"),
        format!("/pkg/{NAME}.js"),
        format!("/pkg/{NAME}_bg.wasm"),
    ] {
        assert!(html.contains(&asset), "the page lacks {asset}: {html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_immutable_and_sent_in_the_encoding_asked_for() {
    let site = Site::new(true);
    let app = app_over(&site).await;
    let wasm = format!("/pkg/{NAME}_bg.wasm");

    for (accept, encoding, body) in [
        ("br, gzip", "br", format!("br {NAME}_bg.wasm")),
        ("gzip", "gzip", format!("gz {NAME}_bg.wasm")),
        ("identity", "", format!("raw {NAME}_bg.wasm")),
    ] {
        let response = get(&app, &wasm, accept).await;
        assert_eq!(response.status(), StatusCode::OK, "{accept}");
        assert_eq!(header(&response, CONTENT_ENCODING), encoding, "{accept}");
        assert_eq!(
            header(&response, CACHE_CONTROL),
            "public, max-age=31536000, immutable",
            "{accept}"
        );
        assert_eq!(header(&response, CONTENT_TYPE), "application/wasm");
        assert_eq!(header(&response, VARY), "accept-encoding", "{accept}");
        assert_eq!(response.text().await.unwrap(), body);
    }
    for file in [format!("{NAME}.js"), format!("{NAME}.css")] {
        let response = get(&app, &format!("/pkg/{file}"), "br").await;
        assert_eq!(header(&response, CONTENT_ENCODING), "br", "{file}");
        assert_eq!(
            header(&response, CACHE_CONTROL),
            "public, max-age=31536000, immutable",
            "{file}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhashed_or_missing_assets_are_never_kept_for_long() {
    let site = Site::new(false);
    let app = app_over(&site).await;

    let plain = get(&app, "/pkg/countersign_bg.wasm", "br").await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(header(&plain, CACHE_CONTROL), "no-cache");
    let missing = get(&app, &format!("/pkg/{NAME}.js"), "br").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&missing, CACHE_CONTROL), "no-cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_page_is_compressed_as_asked_and_arrives_whole() {
    let site = Site::new(true);
    let app = app_over(&site).await;

    let brotli = get(&app, "/catalog", "br").await;
    assert_eq!(brotli.status(), StatusCode::OK);
    assert_eq!(header(&brotli, CONTENT_ENCODING), "br");

    let gzip = get(&app, "/catalog", "gzip").await;
    assert_eq!(gzip.status(), StatusCode::OK);
    assert_eq!(header(&gzip, CONTENT_ENCODING), "gzip");
    let compressed = gzip.bytes().await.unwrap();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut html)
        .expect("a valid gzip stream");
    assert!(html.contains("<h1"), "{html}");
    assert!(html.contains("</html>"), "{html}");
    assert!(
        compressed.len() * 2 < html.len(),
        "{} bytes compressed to {}",
        html.len(),
        compressed.len()
    );
}
