//! Target credentials at rest: sealed with XChaCha20-Poly1305 under the key in
//! `COUNTERSIGN_SECRET_KEY`, bound to their item (the item id is the associated
//! data, so a sealed secret copied onto another item does not open). A secret
//! is opened only to use it; it never reaches a page, a log line or the audit.

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};

/// The installation's key for sealing target credentials: 32 bytes, given as
/// 64 hex digits or standard base64.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// Why a key or a sealed secret cannot be used. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("must be 32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)")]
    BadKey,
    #[error(
        "COUNTERSIGN_SECRET_KEY is not set, so credentials cannot be stored or read; \
         set it (e.g. `openssl rand -hex 32`) and restart"
    )]
    NoKey,
    #[error(
        "the stored credential cannot be opened with this COUNTERSIGN_SECRET_KEY (the key \
         changed, or the value was altered); enter the credential again"
    )]
    CannotOpen,
}

const VERSION: &str = "v1";

impl SecretKey {
    pub fn parse(text: &str) -> Result<SecretKey, SealError> {
        let text = text.trim();
        let bytes = if text.len() == 64 {
            hex::decode(text).map_err(|_| SealError::BadKey)?
        } else {
            B64.decode(text).map_err(|_| SealError::BadKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(SecretKey(key))
    }

    /// `v1.<nonce>.<ciphertext>` (base64), bound to `item_id`.
    pub fn seal(&self, item_id: &str, secret: &str) -> Result<String, SealError> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.as_bytes(),
                    aad: item_id.as_bytes(),
                },
            )
            .map_err(|_| SealError::CannotOpen)?;
        Ok(format!(
            "{VERSION}.{}.{}",
            B64.encode(nonce),
            B64.encode(sealed)
        ))
    }

    pub fn open(&self, item_id: &str, sealed: &str) -> Result<String, SealError> {
        let mut parts = sealed.split('.');
        let (Some(VERSION), Some(nonce), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::CannotOpen);
        };
        let nonce = B64.decode(nonce).map_err(|_| SealError::CannotOpen)?;
        if nonce.len() != 24 {
            return Err(SealError::CannotOpen);
        }
        let body = B64.decode(body).map_err(|_| SealError::CannotOpen)?;
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &body,
                    aad: item_id.as_bytes(),
                },
            )
            .map_err(|_| SealError::CannotOpen)?;
        String::from_utf8(plain).map_err(|_| SealError::CannotOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::parse(&"ab".repeat(32)).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_for_its_item_only() {
        let sealed = key().seal("item-1", "hunter2-hunter2").unwrap();
        assert!(!sealed.contains("hunter2"));
        assert_eq!(key().open("item-1", &sealed).unwrap(), "hunter2-hunter2");
        assert_eq!(key().open("item-2", &sealed), Err(SealError::CannotOpen));
    }

    #[test]
    fn another_key_or_an_altered_value_does_not_open() {
        let sealed = key().seal("item-1", "s").unwrap();
        let other = SecretKey::parse(&"cd".repeat(32)).unwrap();
        assert_eq!(other.open("item-1", &sealed), Err(SealError::CannotOpen));
        let (head, body) = sealed.rsplit_once('.').unwrap();
        let mut bytes = B64.decode(body).unwrap();
        bytes[0] ^= 1;
        let altered = format!("{head}.{}", B64.encode(bytes));
        assert_eq!(key().open("item-1", &altered), Err(SealError::CannotOpen));
    }

    #[test]
    fn keys_are_32_bytes_in_hex_or_base64() {
        assert!(SecretKey::parse(&B64.encode([7u8; 32])).is_ok());
        assert_eq!(SecretKey::parse("short").unwrap_err(), SealError::BadKey);
        assert_eq!(
            SecretKey::parse(&B64.encode([7u8; 16])).unwrap_err(),
            SealError::BadKey
        );
        assert!(!format!("{:?}", key()).contains("ab"));
    }
}
