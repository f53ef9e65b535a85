//! Re-checking an e-signature's evidence: the ID token the provider signed at the
//! re-authentication, against the key stored with it (so a provider that rotated
//! its keys since does not void old signatures), and its claims against what the
//! record says was signed.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use openidconnect::{
    JsonWebKey,
    core::{CoreJsonWebKey, CoreJwsSigningAlgorithm},
};
use serde_json::Value;

/// The provider's published keys, as far as this run can know them.
pub enum PublishedKeys {
    /// `--offline`: the provider is not asked.
    Offline,
    /// Asked, no answer.
    Unreachable,
    /// The provider's JWKS document.
    Keys(Value),
}

/// What could be established about one e-signature.
#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// The signature verifies and the token names what the record says.
    Verified,
    /// The claims match, but no key was at hand to check the signature: why.
    NotChecked(String),
}

/// Checks the e-signature object of an audit record (`details.e_signature`).
/// `Err` says why the evidence does not hold.
pub fn check_e_signature(signature: &Value, published: &PublishedKeys) -> Result<Checked, String> {
    let token = signature["id_token"]
        .as_str()
        .ok_or("no ID token is stored")?;
    let jwt = Jwt::parse(token)?;
    jwt.check_claims(signature)?;
    let stored = signature.get("signing_key").filter(|key| key.is_object());
    if let Some(stored) = stored {
        jwt.verify_with(stored)
            .map_err(|why| format!("with the key stored at signing: {why}"))?;
    }
    let from_provider = match published {
        PublishedKeys::Keys(jwks) => jwt.find_key(jwks),
        _ => None,
    };
    if let Some(key) = from_provider {
        // With a stored key too, this catches a stored key swapped for another.
        jwt.verify_with(key)
            .map_err(|why| format!("with the provider's published key: {why}"))?;
    }
    if stored.is_some() || from_provider.is_some() {
        return Ok(Checked::Verified);
    }
    let kid = jwt.kid.as_deref().unwrap_or("(none)");
    Ok(Checked::NotChecked(match published {
        PublishedKeys::Offline => format!("no key stored with it (kid {kid}), and --offline"),
        PublishedKeys::Unreachable => {
            format!("no key stored with it (kid {kid}), and the provider cannot be reached")
        }
        PublishedKeys::Keys(_) => {
            format!("no key stored with it, and the provider no longer publishes kid {kid}")
        }
    }))
}

/// Checks `token`'s signature against the key of its `kid` in `jwks`.
pub fn check_signature(token: &str, jwks: &Value) -> Result<(), String> {
    let jwt = Jwt::parse(token)?;
    let kid = jwt.kid.clone().unwrap_or_default();
    let key = jwt
        .find_key(jwks)
        .ok_or_else(|| format!("the provider does not publish key {kid}"))?;
    jwt.verify_with(key)
}

/// A compact JWS, split and decoded.
struct Jwt<'a> {
    alg: CoreJwsSigningAlgorithm,
    kid: Option<String>,
    claims: Value,
    /// `header.payload`, what the signature covers.
    signed: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jwt<'a> {
    fn parse(token: &'a str) -> Result<Jwt<'a>, String> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return Err("the ID token is not a signed JWT (three parts)".into());
        };
        let json = |part: &str, what: &str| -> Result<Value, String> {
            URL_SAFE_NO_PAD
                .decode(part)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or_else(|| format!("the ID token's {what} is unreadable"))
        };
        let header = json(header, "header")?;
        let alg = asymmetric(&header["alg"])?;
        Ok(Jwt {
            alg,
            kid: header["kid"].as_str().map(str::to_owned),
            claims: json(payload, "payload")?,
            signed: &token[..token.len() - signature.len() - 1],
            signature: URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| "the ID token's signature is not base64url")?,
        })
    }

    /// The token must name the signer, issuer and `auth_time` the record says.
    fn check_claims(&self, signature: &Value) -> Result<(), String> {
        for (claim, field) in [
            ("sub", "signer_subject"),
            ("iss", "signer_issuer"),
            ("auth_time", "auth_time"),
        ] {
            let (in_token, in_record) = (&self.claims[claim], &signature[field]);
            if in_token.is_null() || in_token != in_record {
                return Err(format!(
                    "the ID token's {claim} is {in_token} but the record's {field} is {in_record}"
                ));
            }
        }
        Ok(())
    }

    fn find_key<'k>(&self, jwks: &'k Value) -> Option<&'k Value> {
        let kid = self.kid.as_deref()?;
        jwks["keys"]
            .as_array()?
            .iter()
            .find(|key| key["kid"].as_str() == Some(kid))
    }

    fn verify_with(&self, key: &Value) -> Result<(), String> {
        if let (Some(kid), Some(key_kid)) = (&self.kid, key["kid"].as_str())
            && kid != key_kid
        {
            return Err(format!("the token names key {kid}, the key is {key_kid}"));
        }
        let key: CoreJsonWebKey =
            serde_json::from_value(key.clone()).map_err(|e| format!("unusable key: {e}"))?;
        key.verify_signature(&self.alg, self.signed.as_bytes(), &self.signature)
            .map_err(|e| format!("the signature does not verify: {e}"))
    }
}

/// The token's `alg`, when it is one of the asymmetric algorithms a provider
/// signs ID tokens with. `none` and the HMAC ones (a shared secret proves nothing
/// to an auditor) are refused, as is anything unknown.
fn asymmetric(alg: &Value) -> Result<CoreJwsSigningAlgorithm, String> {
    use CoreJwsSigningAlgorithm as A;
    let refused = || format!("the ID token's algorithm {alg} is not accepted as evidence");
    let parsed: A = serde_json::from_value(alg.clone()).map_err(|_| refused())?;
    match parsed {
        A::RsaSsaPkcs1V15Sha256
        | A::RsaSsaPkcs1V15Sha384
        | A::RsaSsaPkcs1V15Sha512
        | A::RsaSsaPssSha256
        | A::RsaSsaPssSha384
        | A::RsaSsaPssSha512
        | A::EcdsaP256Sha256
        | A::EcdsaP384Sha384
        | A::EdDsa => Ok(parsed),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(header: Value) -> String {
        let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", part(header), part(json!({ "sub": "bob" })))
    }

    #[test]
    fn symmetric_and_unsigned_tokens_are_refused_as_evidence() {
        for alg in ["HS256", "HS384", "HS512", "none", "ES512", "XYZ"] {
            let err = check_signature(&token(json!({ "alg": alg, "kid": "k" })), &json!({}))
                .expect_err(alg);
            assert!(err.contains("not accepted"), "{alg}: {err}");
        }
    }

    #[test]
    fn every_asymmetric_algorithm_is_accepted() {
        for alg in [
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
        ] {
            let err = check_signature(&token(json!({ "alg": alg, "kid": "k" })), &json!({}))
                .expect_err("no key");
            assert!(err.contains("does not publish key k"), "{alg}: {err}");
        }
    }
}
