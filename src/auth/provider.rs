//! The organisation's OpenID Connect provider, as Countersign relies on it:
//! discovery and keys (fetched with timeouts, cached, refreshed when a token names
//! a key we do not know), the authorization request (code flow, PKCE, state,
//! nonce) and the full validation of the ID token that comes back.

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout,
    RedirectUrl, RequestTokenError, Scope, SignatureVerificationError,
    core::{CoreClient, CoreIdToken, CoreJwsSigningAlgorithm, CoreResponseType},
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use url::Url;

use crate::config::OidcConfig;

/// Discovery and keys are re-read at most this often (sooner for an unknown `kid`).
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The only signatures an ID token may carry, whatever discovery lists: the
/// provider's private key signs, its published key verifies. `HS*` (keyed with
/// the client secret, which the app holds too, so anyone holding it signs) and
/// `none` are never accepted (OIDC Core §3.1.3.7 step 6–8).
const ASYMMETRIC_ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Discovery, keys or token endpoint did not answer (in time).
    #[error("the identity provider cannot be reached: {0}")]
    Unavailable(String),
    /// The provider answered, but what it said cannot be trusted or used.
    #[error("the identity provider's answer was refused: {0}")]
    Rejected(String),
}

/// What the app keeps (in the session) between sending someone to the provider and
/// their return: the secrets that bind the answer to this very request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub started_at: i64,
}

/// Ask the provider to authenticate the person again (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Default)]
pub struct AuthorizationOptions {
    pub login_hint: Option<String>,
    /// `prompt=login` and `max_age=0`.
    pub force_login: bool,
}

/// An ID token that passed every check, with the claims the app uses.
#[derive(Debug, Clone)]
pub struct VerifiedIdToken {
    pub issuer: String,
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The person's login at the provider (`preferred_username`; the UPN at
    /// Microsoft Entra ID): how the directory's `userName` is matched.
    pub preferred_username: Option<String>,
    pub groups: Vec<String>,
    pub auth_time: Option<i64>,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    /// The key id (`kid`) in the token's header.
    pub kid: Option<String>,
    /// The token as the provider signed it: evidence an auditor can re-verify.
    pub raw: String,
}

/// The client type for a provider known by discovery: authorization endpoint set,
/// token endpoint as the metadata says.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

struct Cached {
    metadata: ProviderMetadataWithLogout,
    fetched_at: Instant,
}

pub struct Provider {
    config: OidcConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    cache: RwLock<Option<Cached>>,
}

impl Provider {
    pub fn new(config: OidcConfig) -> Result<Provider, ProviderError> {
        let issuer = IssuerUrl::new(config.issuer_url.as_str().trim_end_matches('/').to_owned())
            .map_err(|e| ProviderError::Rejected(format!("OIDC_ISSUER_URL: {e}")))?;
        let redirect = RedirectUrl::from_url(config.redirect_url.clone());
        let http = reqwest::Client::builder()
            // Following redirects would let a compromised metadata document point us anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(config.http_timeout_secs))
            .timeout(Duration::from_secs(config.http_timeout_secs))
            .build()
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        Ok(Provider {
            config,
            issuer,
            redirect,
            http,
            cache: RwLock::new(None),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// Provider metadata and keys, from the cache while fresh.
    async fn metadata(&self) -> Result<ProviderMetadataWithLogout, ProviderError> {
        if let Some(cached) = self.cache.read().await.as_ref()
            && cached.fetched_at.elapsed() < METADATA_TTL
        {
            return Ok(cached.metadata.clone());
        }
        self.refresh().await
    }

    /// Discovery and keys younger than their time to live, re-read now if they
    /// are not (`/readyz`: a replica that cannot check ID tokens is not ready).
    pub async fn ensure_fresh(&self) -> Result<(), ProviderError> {
        self.metadata().await.map(|_| ())
    }

    /// The cached metadata, without asking the provider (for sign-out, which must
    /// work while the provider is down).
    pub async fn cached_metadata(&self) -> Option<ProviderMetadataWithLogout> {
        self.cache.read().await.as_ref().map(|c| c.metadata.clone())
    }

    /// Re-reads discovery and the key set (JWKS).
    async fn refresh(&self) -> Result<ProviderMetadataWithLogout, ProviderError> {
        let fetch = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http);
        let timeout = Duration::from_secs(self.config.http_timeout_secs * 2);
        let metadata = match tokio::time::timeout(timeout, fetch).await {
            Ok(Ok(metadata)) => metadata,
            Ok(Err(err)) => return Err(ProviderError::Unavailable(err.to_string())),
            Err(_) => return Err(ProviderError::Unavailable("discovery timed out".into())),
        };
        tracing::info!(
            issuer = %self.issuer.as_str(),
            keys = metadata.jwks().keys().len(),
            "identity provider metadata loaded"
        );
        *self.cache.write().await = Some(Cached {
            metadata: metadata.clone(),
            fetched_at: Instant::now(),
        });
        Ok(metadata)
    }

    fn client(&self, metadata: ProviderMetadataWithLogout) -> Client {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// Is the provider answering? Checked before sending anybody there, so a person
    /// gets our "cannot be reached" page instead of a browser error page.
    async fn probe(&self) -> Result<(), ProviderError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.as_str().trim_end_matches('/')
        );
        match self.http.get(url).send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(ProviderError::Unavailable(format!(
                "discovery answered {}",
                response.status()
            ))),
            Err(err) => Err(ProviderError::Unavailable(err.to_string())),
        }
    }

    /// Where to send the browser, and what to remember until it comes back.
    pub async fn authorization_request(
        &self,
        options: &AuthorizationOptions,
    ) -> Result<(Url, PendingAuthorization), ProviderError> {
        let metadata = match self.cached_metadata().await {
            Some(metadata) => {
                self.probe().await?;
                metadata
            }
            None => self.refresh().await?,
        };
        let client = self.client(metadata);
        let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(pkce_challenge);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(hint) = &options.login_hint {
            request = request.add_extra_param("login_hint", hint.clone());
        }
        if options.force_login {
            // OIDC Core §3.1.2.1: max_age=0 demands a fresh authentication; prompt=login
            // asks for it in words providers that ignore max_age may still honour.
            request = request
                .set_max_age(Duration::ZERO)
                .add_prompt(openidconnect::core::CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = request.url();
        Ok((
            url,
            PendingAuthorization {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: pkce_verifier.secret().clone(),
                started_at: app::db::now_epoch(),
            },
        ))
    }

    /// Redeems the authorization code and validates the ID token completely:
    /// an asymmetric signature against the provider's keys, `iss`, `aud`/`azp`, `exp`, `iat`
    /// within the clock skew, and the `nonce` of this very request.
    pub async fn redeem(
        &self,
        code: String,
        pending: &PendingAuthorization,
    ) -> Result<VerifiedIdToken, ProviderError> {
        let metadata = self.metadata().await?;
        let client = self.client(metadata);
        let request = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| ProviderError::Rejected(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
        let response = request
            .request_async(&self.http)
            .await
            .map_err(|err| match err {
                RequestTokenError::ServerResponse(response) => ProviderError::Rejected(format!(
                    "token endpoint refused the code: {}",
                    response.error()
                )),
                RequestTokenError::Request(err) => {
                    ProviderError::Unavailable(format!("token endpoint: {err}"))
                }
                other => ProviderError::Rejected(format!("token endpoint: {other}")),
            })?;
        let id_token = openidconnect::TokenResponse::id_token(&response)
            .ok_or_else(|| ProviderError::Rejected("the token response has no ID token".into()))?
            .clone();
        self.verify(&client, &id_token, pending).await
    }

    async fn verify(
        &self,
        client: &Client,
        id_token: &CoreIdToken,
        pending: &PendingAuthorization,
    ) -> Result<VerifiedIdToken, ProviderError> {
        let nonce = Nonce::new(pending.nonce.clone());
        match self.check(client, id_token, &nonce) {
            // A key we do not know yet: the provider may have rotated its keys.
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                tracing::info!("ID token signed by an unknown key; re-reading the provider's keys");
                let fresh = self.client(self.refresh().await?);
                self.check(&fresh, id_token, &nonce)
            }
            other => other,
        }
        .map_err(|err| ProviderError::Rejected(format!("ID token: {err}")))?;
        self.extract(id_token)
    }

    fn check(
        &self,
        client: &Client,
        id_token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<(), ClaimsVerificationError> {
        let skew = chrono::Duration::seconds(self.config.clock_skew_secs);
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(ASYMMETRIC_ALGS)
            .set_issue_time_verifier_fn(move |iat| {
                let now = chrono::Utc::now();
                if iat > now + skew {
                    Err(format!("issued in the future ({iat})"))
                } else {
                    Ok(())
                }
            });
        id_token.claims(&verifier, nonce).map(|_| ())
    }

    /// Reads the claims the app uses from a token that has passed [`Self::check`].
    fn extract(&self, id_token: &CoreIdToken) -> Result<VerifiedIdToken, ProviderError> {
        let raw = id_token.to_string();
        let payload: serde_json::Value = raw
            .split('.')
            .nth(1)
            .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| ProviderError::Rejected("ID token payload is not JSON".into()))?;
        let text = |name: &str| {
            payload
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let groups = match payload.get(&self.config.groups_claim) {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            Some(_) => {
                return Err(ProviderError::Rejected(format!(
                    "claim {:?} is neither a list nor a string",
                    self.config.groups_claim
                )));
            }
        };
        let kid = raw
            .split('.')
            .next()
            .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|header| {
                header
                    .get("kid")
                    .and_then(|k| k.as_str())
                    .map(str::to_owned)
            });
        let amr = payload.get("amr").and_then(|v| v.as_array()).map(|items| {
            items
                .iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        });
        let subject = text("sub").ok_or_else(|| ProviderError::Rejected("no sub".into()))?;
        let issuer = text("iss").ok_or_else(|| ProviderError::Rejected("no iss".into()))?;
        Ok(VerifiedIdToken {
            issuer,
            subject,
            name: text("name"),
            email: text("email"),
            preferred_username: text("preferred_username"),
            groups,
            auth_time: payload.get("auth_time").and_then(|v| v.as_i64()),
            acr: text("acr"),
            amr,
            kid,
            raw,
        })
    }
}
