//! Hostile ID tokens at sign-in. A proxy in front of the real provider
//! (`tamper.rs`) swaps the ID token of the token endpoint's answer for a forged
//! one; the app must refuse each with its "Sign-in refused" page, start no session
//! and record nobody. The provider signs with a key the test made, so forgeries
//! signed with the provider's real key show that the claim checks refuse them, not
//! only the signature check; two controls show that the harness can sign in at all.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use app::db::users;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use openidconnect::{
    PrivateSigningKey,
    core::{CoreHmacKey, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey},
};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::{
    idp::{self, Idp},
    support::TestApp,
    tamper::{DiscoveryRewrite, Tamper},
};

pub(crate) type Json = Map<String, Value>;

/// What the proxy hands the app instead of the provider's ID token.
#[derive(Clone, Copy)]
pub(crate) enum Forgery {
    /// The provider's own token, untouched (control).
    Untouched,
    /// The same header and claims, signed again with the provider's real key
    /// (control: the forging below makes tokens the app takes but for what it changes).
    Resigned,
    /// Signed by a key the provider never had, under the id of its real key.
    OtherKeySameKid,
    /// Signed by a key the provider never had, under an id it never published.
    OtherKeyUnknownKid,
    /// `alg: none` and an empty signature.
    AlgNone,
    /// HS256 with the client secret as the key.
    Hs256WithClientSecret,
    /// Claims changed, then signed with the provider's real key.
    Claims(fn(&mut Json)),
}

/// What a person trying to sign in saw, and what the app made of it.
struct Outcome {
    /// The app's answer at `/auth/callback`.
    callback: StatusCode,
    callback_location: String,
    page: String,
    /// `GET /` afterwards.
    home: StatusCode,
    home_location: String,
    users: i64,
}

/// Signs alice in at the real provider through the tampering proxy, which
/// replaces the ID token as `forgery` says, and reports what happened.
async fn sign_in_with_forgery(forgery: Forgery) -> Outcome {
    sign_in_with_forgery_advertised(forgery, Discovery::AsPublished).await
}

/// What the proxy makes the provider's discovery document say.
#[derive(Clone, Copy)]
pub(crate) enum Discovery {
    AsPublished,
    /// `id_token_signing_alg_values_supported` also lists `HS256` and `none`, as
    /// a misconfigured (or hostile) provider's might.
    AlsoSymmetricAndNone,
}

impl Discovery {
    pub(crate) fn rewrite(self) -> DiscoveryRewrite {
        Arc::new(move |document: &mut Value| {
            if let Discovery::AlsoSymmetricAndNone = self {
                let algs = &mut document["id_token_signing_alg_values_supported"];
                if let Value::Array(list) = algs {
                    list.extend([json!("HS256"), json!("none")]);
                } else {
                    *algs = json!(["RS256", "HS256", "none"]);
                }
            }
        })
    }
}

async fn sign_in_with_forgery_advertised(forgery: Forgery, discovery: Discovery) -> Outcome {
    let builder = TestApp::builder();
    let proxied = ProxiedProvider::start(builder.origin(), discovery, move |forger, real| {
        forger.forge(&forgery, real)
    })
    .await;
    let proxy_url = proxied.idp.issuer.clone();
    let (provider, _key_file) = proxied.into_parts();
    let app = builder.with_provider(provider).spawn().await;
    assert_eq!(app.issuer(), proxy_url, "the app trusts the proxy's issuer");

    let callback = app
        .callback_for("alice", idp::PASSWORD)
        .await
        .expect("the provider signs alice in through the proxy");
    let response = app
        .client
        .get(&callback)
        .send()
        .await
        .expect("the callback reaches the app");
    let callback_status = response.status();
    let callback_location = location(&response);
    let page = response.text().await.expect("the callback's page");
    let home = app.get("/").await;
    Outcome {
        callback: callback_status,
        callback_location,
        page,
        home: home.status(),
        home_location: location(&home),
        users: users::count(&app.db).await.expect("count users"),
    }
}

async fn assert_refused(forgery: Forgery) {
    assert_refused_advertised(forgery, Discovery::AsPublished).await;
}

async fn assert_refused_advertised(forgery: Forgery, discovery: Discovery) {
    let outcome = sign_in_with_forgery_advertised(forgery, discovery).await;
    assert_eq!(
        outcome.callback,
        StatusCode::BAD_REQUEST,
        "the callback must refuse the token (Location {:?}): {}",
        outcome.callback_location,
        outcome.page
    );
    assert!(
        outcome.page.contains("Sign-in refused"),
        "not the sign-in problem page: {}",
        outcome.page
    );
    assert_eq!(outcome.home, StatusCode::SEE_OTHER, "nobody is signed in");
    assert!(
        outcome.home_location.starts_with("/auth/login"),
        "{}",
        outcome.home_location
    );
    assert_eq!(outcome.users, 0, "nobody is recorded");
}

async fn assert_signed_in(forgery: Forgery) {
    let outcome = sign_in_with_forgery(forgery).await;
    assert_eq!(
        outcome.callback,
        StatusCode::SEE_OTHER,
        "sign-in should succeed: {}",
        outcome.page
    );
    assert_eq!(outcome.callback_location, "/");
    assert_eq!(outcome.home, StatusCode::OK, "alice is signed in");
    assert_eq!(outcome.users, 1, "alice is recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_own_token_signs_in_through_the_proxy() {
    assert_signed_in(Forgery::Untouched).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_re_signed_with_the_providers_key_signs_in() {
    assert_signed_in(Forgery::Resigned).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_by_another_key_under_the_real_kid_is_refused() {
    assert_refused(Forgery::OtherKeySameKid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_by_an_unknown_key_is_refused() {
    assert_refused(Forgery::OtherKeyUnknownKid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_alg_none_token_is_refused() {
    assert_refused(Forgery::AlgNone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hs256_token_signed_with_the_client_secret_is_refused() {
    assert_refused(Forgery::Hs256WithClientSecret).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_signed_id_token_is_refused_at_sign_in_even_when_discovery_lists_hs256() {
    assert_refused_advertised(
        Forgery::Hs256WithClientSecret,
        Discovery::AlsoSymmetricAndNone,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_id_token_is_refused_at_sign_in_even_when_discovery_lists_none() {
    assert_refused_advertised(Forgery::AlgNone, Discovery::AlsoSymmetricAndNone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_another_issuer_is_refused() {
    assert_refused(Forgery::Claims(|claims| {
        claims.insert("iss".into(), json!("https://evil.example"));
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_audience_is_refused() {
    assert_refused(Forgery::Claims(|claims| {
        claims.insert("aud".into(), json!("another-client"));
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refused() {
    assert_refused(Forgery::Claims(|claims| {
        claims.insert("iat".into(), json!(now() - 7200));
        claims.insert("exp".into(), json!(now() - 3600));
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_issued_in_the_future_is_refused() {
    assert_refused(Forgery::Claims(|claims| {
        claims.insert("iat".into(), json!(now() + 86_400));
        claims.insert("exp".into(), json!(now() + 90_000));
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_another_nonce_is_refused() {
    assert_refused(Forgery::Claims(|claims| {
        claims.insert("nonce".into(), json!("not-the-nonce-of-this-sign-in"));
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_a_nonce_is_refused() {
    assert_refused(Forgery::Claims(|claims| {
        claims.remove("nonce");
    }))
    .await;
}

/// The real provider for the app at an origin, behind the tampering proxy and
/// signing with a key the test made, so that forgeries can be signed with it too.
pub(crate) struct ProxiedProvider {
    /// Its issuer is the proxy's URL.
    pub idp: Idp,
    /// The provider's signing key, on disk while it runs.
    key_file: TempPem,
}

impl ProxiedProvider {
    /// Starts it for the app at `origin`, its discovery document edited as
    /// `discovery` says; the proxy hands each ID token the token endpoint issues to
    /// `rewrite`, with a [`Forger`] holding the provider's key, and relays what
    /// `rewrite` returns.
    pub(crate) async fn start(
        origin: &str,
        discovery: Discovery,
        rewrite: impl Fn(&Forger, &str) -> String + Send + Sync + 'static,
    ) -> ProxiedProvider {
        let (provider_pem, stranger_pem) = tokio::join!(rsa_pem(), rsa_pem());
        let key_file = TempPem::write(&provider_pem);
        let proxy = Tamper::bind().await;
        let idp = Idp::start_with(
            origin,
            0,
            &[
                ("IDP_ISSUER", &proxy.url),
                ("IDP_SIGNING_KEYS", key_file.path()),
            ],
        )
        .await;
        let forger = Forger {
            provider: CoreRsaPrivateSigningKey::from_pem(&provider_pem, None)
                .expect("the provider's key"),
            stranger: CoreRsaPrivateSigningKey::from_pem(&stranger_pem, None)
                .expect("the stranger's key"),
        };
        proxy.serve(
            idp.listening.clone(),
            Arc::new(move |real: &str| rewrite(&forger, real)),
            discovery.rewrite(),
        );
        ProxiedProvider { idp, key_file }
    }

    /// The provider, to give the app, and its key file, to keep while it runs.
    pub(crate) fn into_parts(self) -> (Idp, TempPem) {
        (self.idp, self.key_file)
    }
}

/// Makes the forged tokens: with the provider's real key, a stranger's, the
/// client secret or no key at all.
pub(crate) struct Forger {
    provider: CoreRsaPrivateSigningKey,
    stranger: CoreRsaPrivateSigningKey,
}

impl Forger {
    pub(crate) fn forge(&self, forgery: &Forgery, real: &str) -> String {
        let mut parts = real.split('.');
        let mut header = decode(parts.next());
        let mut claims = decode(parts.next());
        let rs256 = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
        match forgery {
            Forgery::Untouched => real.to_owned(),
            Forgery::Resigned => jwt(&header, &claims, |m| sign(&self.provider, &rs256, m)),
            Forgery::OtherKeySameKid => jwt(&header, &claims, |m| sign(&self.stranger, &rs256, m)),
            Forgery::OtherKeyUnknownKid => {
                header.insert("kid".into(), json!("a-key-the-provider-never-had"));
                jwt(&header, &claims, |m| sign(&self.stranger, &rs256, m))
            }
            Forgery::AlgNone => {
                header.insert("alg".into(), json!("none"));
                header.remove("kid");
                jwt(&header, &claims, |_| Vec::new())
            }
            Forgery::Hs256WithClientSecret => {
                header.insert("alg".into(), json!("HS256"));
                header.remove("kid");
                let secret = CoreHmacKey::new(idp::CLIENT_SECRET);
                let hs256 = CoreJwsSigningAlgorithm::HmacSha256;
                jwt(&header, &claims, |m| sign(&secret, &hs256, m))
            }
            Forgery::Claims(change) => {
                change(&mut claims);
                jwt(&header, &claims, |m| sign(&self.provider, &rs256, m))
            }
        }
    }
}

fn decode(part: Option<&str>) -> Json {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.expect("the provider's ID token is a JWT"))
        .expect("a JWT part is base64url");
    serde_json::from_slice(&bytes).expect("a JWT part is a JSON object")
}

fn jwt(header: &Json, claims: &Json, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let encode =
        |json: &Json| URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).expect("JSON serialises"));
    let signed = format!("{}.{}", encode(header), encode(claims));
    let signature = URL_SAFE_NO_PAD.encode(sign(signed.as_bytes()));
    format!("{signed}.{signature}")
}

fn sign<K: PrivateSigningKey>(
    key: &K,
    alg: &<K::VerificationKey as openidconnect::JsonWebKey>::SigningAlgorithm,
    message: &[u8],
) -> Vec<u8> {
    key.sign(alg, message).expect("sign the forged token")
}

pub(crate) fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since.as_secs()).expect("seconds fit in i64")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A fresh 2048-bit RSA private key, PKCS#1 PEM (what `from_pem` reads and the
/// provider accepts), made by node, which the tests need anyway for the provider.
async fn rsa_pem() -> String {
    const SCRIPT: &str = "process.stdout.write(require('node:crypto')\
        .generateKeyPairSync('rsa', { modulusLength: 2048 })\
        .privateKey.export({ type: 'pkcs1', format: 'pem' }))";
    let output = tokio::process::Command::new("node")
        .args(["-e", SCRIPT])
        .output()
        .await
        .expect("run node to make an RSA key");
    assert!(
        output.status.success(),
        "node could not make an RSA key: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("a PEM is text")
}

/// A PEM file of the test's own, removed when dropped.
pub(crate) struct TempPem(PathBuf);

impl TempPem {
    fn write(pem: &str) -> TempPem {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "countersign-idp-key-{}-{}.pem",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, pem).expect("write the provider's key file");
        TempPem(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8")
    }
}

impl Drop for TempPem {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
