//! Rate limits on the edges a stranger can reach: signing in (`/auth/login`
//! and the provider's `/auth/callback`, counted together) and the JSON API,
//! per client address, and for the API per bearer token too. Over the limit:
//! `429 Too Many Requests` with `Retry-After`.
//!
//! The client address is the TCP peer's, unless that peer is one of
//! `COUNTERSIGN_TRUSTED_PROXIES`: then it is the right-most address in
//! `X-Forwarded-For` that is not itself a trusted proxy (the left part of the
//! header is whatever the client claimed, and anyone can claim anything).

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock};
use ipnet::IpNet;
use sha2::{Digest, Sha256};

/// Requests per minute for each limited edge; 0 turns a limit off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Sign-in starts and callbacks per client address
    /// (`COUNTERSIGN_RATE_LIMIT_SIGN_IN_PER_MINUTE`).
    pub sign_in_per_minute: u32,
    /// API requests per client address and per token
    /// (`COUNTERSIGN_RATE_LIMIT_API_PER_MINUTE`).
    pub api_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` is believed (`COUNTERSIGN_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            sign_in_per_minute: 60,
            api_per_minute: 600,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Parses `COUNTERSIGN_TRUSTED_PROXIES`: CIDRs or single addresses, by commas.
pub fn parse_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{part:?} is not an address or a CIDR such as 10.0.0.0/8"))
        })
        .collect()
}

type Limiter<K> = Arc<DefaultKeyedRateLimiter<K>>;

/// This replica's limiters (each replica counts for itself: with two
/// replicas behind a round-robin proxy a client gets up to twice the rate).
#[derive(Clone)]
pub struct RateLimits {
    sign_in: Option<Limiter<IpAddr>>,
    api_by_addr: Option<Limiter<IpAddr>>,
    api_by_token: Option<Limiter<[u8; 32]>>,
    trusted: Arc<Vec<IpNet>>,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<Limiter<K>> {
    NonZeroU32::new(per_minute)
        .map(|n| Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(n))))
}

/// Keys not seen for a while are forgotten once a limiter holds this many.
const FORGET_ABOVE: usize = 10_000;

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> RateLimits {
        RateLimits {
            sign_in: limiter(config.sign_in_per_minute),
            api_by_addr: limiter(config.api_per_minute),
            api_by_token: limiter(config.api_per_minute),
            trusted: Arc::new(config.trusted_proxies.clone()),
        }
    }
}

/// Which address the request comes from (see the module's comment).
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => client = ip,
            Ok(ip) => return ip,
            // Garbage in the header: the last address we could believe.
            Err(_) => return client,
        }
    }
    client
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &Option<Limiter<K>>,
    key: &K,
) -> Result<(), std::time::Duration> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    if limiter.len() > FORGET_ABOVE {
        limiter.retain_recent();
    }
    limiter
        .check_key(key)
        .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
}

pub async fn limit(State(limits): State<RateLimits>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let sign_in = path == "/auth/login" || path == "/auth/callback";
    let api = path.starts_with("/api/v1/");
    if !(sign_in || api) {
        return next.run(request).await;
    }
    // No peer address: the router was called in-process (never when served).
    let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() else {
        return next.run(request).await;
    };
    let client = client_addr(peer.ip(), request.headers(), &limits.trusted);
    let verdict = if sign_in {
        check(&limits.sign_in, &client)
    } else {
        check(&limits.api_by_addr, &client).and_then(|()| match bearer(request.headers()) {
            Some(token) => check(&limits.api_by_token, &token),
            None => Ok(()),
        })
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::warn!(client = %client, path, "rate limited");
            too_many(wait)
        }
    }
}

/// The bearer token's digest (the token itself is never kept).
fn bearer(headers: &HeaderMap) -> Option<[u8; 32]> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    Some(Sha256::digest(token.trim().as_bytes()).into())
}

fn too_many(wait: std::time::Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, HeaderValue::from(secs))],
        format!("Too many requests: try again in {secs} s.\n"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = parse_proxies("10.0.0.0/8").unwrap();
        let client = client_addr(ip("198.51.100.7"), &xff("203.0.113.1"), &trusted);
        assert_eq!(client, ip("198.51.100.7"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_right_most_untrusted_first() {
        let trusted = parse_proxies("10.0.0.0/8, 127.0.0.1").unwrap();
        let headers = xff("1.2.3.4, 203.0.113.9, 10.1.1.1");
        assert_eq!(
            client_addr(ip("127.0.0.1"), &headers, &trusted),
            ip("203.0.113.9"),
            "the spoofable left part is ignored"
        );
    }

    #[test]
    fn garbage_in_forwarded_for_falls_back_to_the_last_believable_address() {
        let trusted = parse_proxies("127.0.0.1").unwrap();
        assert_eq!(
            client_addr(ip("127.0.0.1"), &xff("not-an-ip"), &trusted),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn trusted_proxies_refuse_what_is_not_an_address() {
        assert!(parse_proxies("10.0.0.0/8,bogus").is_err());
        assert_eq!(parse_proxies("").unwrap(), Vec::<IpNet>::new());
    }
}
