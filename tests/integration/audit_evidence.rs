//! `countersign audit verify` re-checking e-signature evidence: ID tokens signed
//! here with a key of our own (ES256), stored with or without that key.

use app::domain::audit::{self, AuditActor, Entry};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::ecdsa::{Signature, SigningKey, signature::Signer};
use serde_json::{Value, json};

use crate::{
    audit::{audit_cli, audit_cli_with},
    support::TestApp,
};

const KID: &str = "test-es256";
const AUTH_TIME: i64 = 1_700_000_000;

/// A P-256 key of the test's own, and its public half as a JWK.
fn es256_key() -> (SigningKey, Value) {
    let key = SigningKey::from_slice(&[7u8; 32]).expect("a valid P-256 scalar");
    let point = key.verifying_key().to_sec1_point(false);
    let xy = &point.as_bytes()[1..];
    let jwk = json!({
        "kty": "EC",
        "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(&xy[..32]),
        "y": URL_SAFE_NO_PAD.encode(&xy[32..]),
        "kid": KID,
        "use": "sig",
        "alg": "ES256",
    });
    (key, jwk)
}

/// An ID token for `sub` from `iss`, signed ES256 with `key`.
fn id_token(key: &SigningKey, iss: &str, sub: &str) -> String {
    let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let signed = format!(
        "{}.{}",
        part(json!({ "alg": "ES256", "kid": KID, "typ": "JWT" })),
        part(json!({
            "iss": iss,
            "sub": sub,
            "aud": crate::idp::CLIENT_ID,
            "auth_time": AUTH_TIME,
            "iat": AUTH_TIME,
            "exp": AUTH_TIME + 300,
        }))
    );
    let signature: Signature = key.sign(signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Appends an approval whose e-signature says bob signed, with `token` as the
/// evidence and `signing_key` stored with it (or not); returns its sequence number.
async fn append_signed_approval(app: &TestApp, token: &str, signing_key: Option<Value>) -> i64 {
    let mut tx = app.db.write_tx().await.unwrap();
    let seq = audit::append(
        &mut tx,
        AuditActor::System,
        Entry {
            action: "approval.approved",
            target_kind: "approval_task",
            target_id: "task-1",
            item_id: None,
            request_id: None,
            details: json!({
                "e_signature": {
                    "signer_name": "Bob Example",
                    "signer_issuer": app.issuer(),
                    "signer_subject": "bob",
                    "meaning": "approved",
                    "auth_time": AUTH_TIME,
                    "kid": KID,
                    "signing_key": signing_key,
                    "id_token": token,
                }
            }),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_es256_signature_verifies_with_the_key_stored_with_it() {
    let app = TestApp::spawn().await;
    let (key, jwk) = es256_key();
    // The provider publishes other keys (RS256): only the stored one can verify it.
    append_signed_approval(&app, &id_token(&key, &app.issuer(), "bob"), Some(jwk)).await;

    let (ok, out) = audit_cli(&app, &["verify"]);

    assert!(ok, "{out}");
    assert!(
        out.contains("e-signatures OK: 1 verified, 0 not checked"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_key_that_did_not_sign_the_token_fails() {
    let app = TestApp::spawn().await;
    let (key, _) = es256_key();
    let other = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let (_, mut wrong) = es256_key();
    let point = other.verifying_key().to_sec1_point(false);
    wrong["x"] = json!(URL_SAFE_NO_PAD.encode(&point.as_bytes()[1..33]));
    wrong["y"] = json!(URL_SAFE_NO_PAD.encode(&point.as_bytes()[33..]));
    let seq =
        append_signed_approval(&app, &id_token(&key, &app.issuer(), "bob"), Some(wrong)).await;

    let (ok, out) = audit_cli(&app, &["verify"]);

    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("e-signature of record {seq} FAILS")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_naming_another_person_than_the_record_fails() {
    let app = TestApp::spawn().await;
    let (key, jwk) = es256_key();
    let token = id_token(&key, &app.issuer(), "mallory");
    let seq = append_signed_approval(&app, &token, Some(jwk)).await;

    let (ok, out) = audit_cli(&app, &["verify"]);

    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("e-signature of record {seq} FAILS")),
        "{out}"
    );
    assert!(out.contains("sub"), "names the claim: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_that_cannot_be_checked_fails_verify_unless_offline() {
    let mut app = TestApp::spawn().await;
    let (key, _) = es256_key();
    let issuer = app.issuer();
    let seq = append_signed_approval(&app, &id_token(&key, &issuer, "bob"), None).await;
    app.stop_provider().await;

    let (ok, out) = audit_cli_with(app.database_url(), &issuer, &["verify"]);
    assert!(!ok, "no stored key, provider down: {out}");
    assert!(
        out.contains(&format!("e-signature of record {seq} NOT CHECKED")),
        "{out}"
    );

    let (ok, out) = audit_cli_with(app.database_url(), &issuer, &["verify", "--offline"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("e-signatures OK: 0 verified, 1 not checked"),
        "{out}"
    );
}
