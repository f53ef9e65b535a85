// The local OpenID Connect provider of the demo and the tests: npm `oidc-provider`
// (OpenID certified) with the demo users of users.js and a plain sign-in form.
// Countersign talks to it only through standard OIDC; it does not know it is a demo.
//
// Environment (all optional):
//   IDP_PORT (3001; 0 = any free port)   IDP_HOST (127.0.0.1)
//   IDP_ISSUER (http://IDP_HOST:port)    issuer to announce, when a proxy fronts the provider
//   IDP_CLIENT_ID / IDP_CLIENT_SECRET    the one client: Countersign
//   IDP_REDIRECT_URIS, IDP_POST_LOGOUT_REDIRECT_URIS   comma-separated, exact
//   IDP_IGNORE_REAUTH=1                  imitate a provider that ignores prompt=login and
//                                        max_age (tests: the app must notice, never pass)
//   IDP_SIGNING_KEYS                     comma-separated PEM files: the first signs, all are
//                                        published (key rotation); a missing file is created
//   IDP_GROUPS                           JSON {"login": ["group", …]}: these users' groups
//                                        instead of users.js's (tests of role changes)
// Prints `LISTENING <url it really listens on>` then `READY <issuer>` on stdout once it
// listens; SIGTERM ends it.
import http from 'node:http';
import { randomBytes, generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Provider, { errors } from 'oidc-provider';
import { checkPassword, findAccount } from './users.js';
import { loginPage, logoutPage, signedOutPage, errorPage } from './pages.js';

const env = process.env;
const host = env.IDP_HOST ?? '127.0.0.1';
const port = Number(env.IDP_PORT ?? 3001);
const list = (value, fallback) => (value ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

function signingKeys() {
  const files = list(env.IDP_SIGNING_KEYS, '');
  if (files.length === 0) files.push(null);
  return files.map((file, i) => {
    let pem;
    if (file && existsSync(file)) {
      pem = readFileSync(file, 'utf8');
    } else {
      pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
      if (file) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, pem, { mode: 0o600 });
      }
    }
    const jwk = createPrivateKey(pem).export({ format: 'jwk' });
    return { ...jwk, kid: `key-${i + 1}-${jwk.n.slice(0, 8)}`, alg: 'RS256', use: 'sig' };
  });
}

const server = http.createServer();
server.listen(port, host, () => {
  const issuer = env.IDP_ISSUER ?? `http://${host}:${server.address().port}`;
  const provider = createProvider(issuer);
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((err) => {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        res.end(errorPage({ error: err.name ?? 'error', error_description: err.message }));
      });
    } else {
      if (env.IDP_IGNORE_REAUTH === '1' && req.url.startsWith('/auth?')) {
        const url = new URL(req.url, issuer);
        url.searchParams.delete('prompt');
        url.searchParams.delete('max_age');
        req.url = `${url.pathname}${url.search}`;
      }
      callback(req, res);
    }
  });
  console.log(`LISTENING http://${host}:${server.address().port}`);
  console.log(`READY ${issuer}`);
});

function createProvider(issuer) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: env.IDP_CLIENT_ID ?? 'countersign',
      client_secret: env.IDP_CLIENT_SECRET ?? 'countersign-demo-secret',
      redirect_uris: list(env.IDP_REDIRECT_URIS, 'http://127.0.0.1:3000/auth/callback'),
      post_logout_redirect_uris: list(env.IDP_POST_LOGOUT_REDIRECT_URIS, 'http://127.0.0.1:3000/auth/signed-out'),
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      require_auth_time: true,
    }],
    findAccount,
    jwks: { keys: signingKeys() },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    claims: { openid: ['sub', 'groups'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => { ctx.body = logoutPage(form); },
        postLogoutSuccessSource: async (ctx) => { ctx.body = signedOutPage(); },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The app is the organisation's own: no consent page.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('idp server_error', err));
  return provider;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new errors.InvalidRequest('form too large');
  }
  return new URLSearchParams(body);
}

async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  const client = await provider.Client.find(params.client_id);
  const clientName = client?.clientName ?? params.client_id;
  const html = (status, body) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  };
  const forced = params.prompt === 'login' || params.max_age !== undefined;

  if (req.method === 'GET' && prompt.name === 'login') {
    return html(200, loginPage({ uid, clientName, loginHint: params.login_hint ?? '', forced }));
  }
  if (req.method === 'POST' && req.url.endsWith('/login')) {
    const form = await readForm(req);
    const accountId = checkPassword(form.get('login') ?? '', form.get('password') ?? '');
    if (!accountId) {
      return html(401, loginPage({ uid, clientName, loginHint: form.get('login') ?? '', forced, error: 'Wrong user name or password.' }));
    }
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  if (req.method === 'POST' && req.url.endsWith('/abort')) {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'The person cancelled the sign-in.',
    }, { mergeWithLastSubmission: false });
  }
  // Any other prompt (consent) is granted by loadExistingGrant; finish it.
  return provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
