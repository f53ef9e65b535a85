//! TLS for the LDAP connector: the server's certificate is always verified,
//! against the organisation's own certificate authority when one is given
//! (Active Directory's LDAPS certificates usually come from an internal CA),
//! else against the system's trusted roots.

use std::sync::Arc;

use rustls::{
    ClientConfig, RootCertStore,
    pki_types::{CertificateDer, pem::PemObject},
};

/// The certificates of `pem` as trust anchors.
pub fn roots(pem: &str) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|_| "is not a PEM certificate (-----BEGIN CERTIFICATE-----)")?;
        store
            .add(cert)
            .map_err(|e| format!("holds a certificate that cannot be a trust anchor: {e}"))?;
    }
    if store.is_empty() {
        return Err("holds no certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(store)
}

/// A client configuration that trusts only the certificates of `pem`.
pub fn config(pem: &str) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots(pem)?)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
