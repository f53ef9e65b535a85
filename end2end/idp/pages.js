// The provider's own pages: a plain HTML sign-in form and the sign-out confirmation.
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f1f5f9; color: #0f172a; margin: 0; }
  main { max-width: 24rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: .5rem; border: 1px solid #cbd5e1; }
  h1 { font-size: 1.25rem; margin-top: 0; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; border: 1px solid #64748b; border-radius: .25rem; font-size: 1rem; }
  button { margin-top: 1.5rem; margin-right: .5rem; padding: .5rem 1rem; font-size: 1rem; border-radius: .25rem; border: 1px solid #3730a3; background: #3730a3; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #3730a3; }
  :focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
  .error { color: #b91c1c; font-weight: 600; }
  .note { color: #475569; font-size: .875rem; }
</style></head>
<body><main>${body}</main></body></html>`;

export function loginPage({ uid, clientName, loginHint = '', error = null, forced = false }) {
  return page('Sign in — demo identity provider', `
  <h1>Sign in to continue to ${esc(clientName)}</h1>
  ${forced ? '<p class="note">Please sign in again to confirm it is you.</p>' : ''}
  ${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
  <form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
    <label for="login">User name</label>
    <input id="login" name="login" type="text" value="${esc(loginHint)}" required autofocus>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" required>
    <button type="submit">Sign in</button>
  </form>
  <form method="post" action="/interaction/${esc(uid)}/abort">
    <button type="submit" class="secondary">Cancel</button>
  </form>
  <p class="note">Countersign demo provider. Users: alice, bob, carol, dave, erin.</p>`);
}

// RP-initiated logout: the provider asks before ending its own session. The form
// submits itself when scripts run; without scripts the person presses the button.
export function logoutPage(form) {
  return page('Sign out — demo identity provider', `
  <h1>Sign out of the demo identity provider?</h1>
  ${form}
  <button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
  <script>document.getElementById('op.logoutForm').requestSubmit(document.querySelector('button[name=logout]'))</script>`);
}

export function signedOutPage() {
  return page('Signed out — demo identity provider', '<h1>You are signed out.</h1>');
}

export function errorPage(out) {
  const rows = Object.entries(out).map(([k, v]) => `<p><strong>${esc(k)}</strong>: ${esc(v)}</p>`).join('');
  return page('Error — demo identity provider', `<h1>Something went wrong</h1>${rows}`);
}
