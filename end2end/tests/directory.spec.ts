// Issue 16 in the browser: an administrator connects the organisation's
// directory. The Directory page shows the SCIM endpoint, creates a directory
// token only after the admin signs in again (shown once), lists the provider's
// SCIM requests with their outcome, and revokes the token.
import { expectAccessible } from './a11y';
import { checkOnPhone, expect, screenshot, test, waitForHydration } from './flows';
import { signInAgainAtProvider } from './session';

test.slow();

test('an admin creates a directory token after signing in again, sees the SCIM requests, and revokes it', async ({ people }) => {
  const carol = await people.as('carol');
  await carol.goto('/admin');
  await carol.getByRole('link', { name: 'Directory (SCIM)' }).click();
  await expect(carol.getByRole('heading', { level: 1, name: 'Directory' })).toBeVisible();
  const endpoint = carol.getByTestId('scim-endpoint');
  await expect(endpoint).toHaveText(/\/scim\/v2$/);
  await expectAccessible(carol);

  const tokenName = `Okta ${Date.now()}`;
  await waitForHydration(carol);
  await carol.getByLabel('Name', { exact: true }).fill(tokenName);
  await carol.getByRole('button', { name: 'Create directory token' }).click();
  await signInAgainAtProvider(carol, 'carol');
  await expect(carol.getByText('Signed and created. Copy the directory token now: it is shown only once.')).toBeVisible();
  const shown = carol.getByTestId('new-token');
  await expect(shown).toHaveText(/^csd_\S+$/);
  const token = ((await shown.textContent()) ?? '').trim();
  const tokens = carol.getByRole('table', { name: 'Directory tokens' });
  await expect(tokens.getByRole('cell', { name: tokenName, exact: true })).toBeVisible();
  // Shown once: the page opened again does not show it.
  await carol.goto('/admin/directory');
  await expect(tokens.getByRole('cell', { name: tokenName, exact: true })).toBeVisible();
  await expect(carol.getByTestId('new-token')).toHaveCount(0);
  await expect(carol.getByText(token)).toHaveCount(0);

  // The identity provider connects with it: a lookup, as Okta starts a push.
  const base = ((await endpoint.textContent()) ?? '').trim();
  const scim = `${base}/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`;
  const lookup = await carol.request.get(scim, { headers: { authorization: `Bearer ${token}` } });
  expect(lookup.status()).toBe(200);
  expect(await lookup.json()).toMatchObject({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: 0,
  });
  const refused = await carol.request.get(scim, { headers: { authorization: 'Bearer csd_not-a-token' } });
  expect(refused.status()).toBe(401);

  // Both calls are on the page, with their outcome; the token was used just now.
  await carol.reload();
  const operations = carol.getByRole('table', { name: 'The last 100 SCIM operations' });
  const calls = operations.getByRole('row').filter({ hasText: 'GET /scim/v2/Users' });
  await expect(calls.filter({ hasText: '200' }).first()).toBeVisible();
  await expect(calls.filter({ hasText: '401' }).first()).toBeVisible();
  await expect(operations.getByRole('row').filter({ hasText: 'nobody@example.com' })).toHaveCount(0);
  const row = tokens.getByRole('row').filter({ hasText: tokenName });
  await expect(row.getByRole('cell').nth(3)).not.toHaveText('never');
  await expectAccessible(carol);
  await screenshot(carol, 'directory-page');
  await checkOnPhone(carol, 'directory-page-phone');

  await waitForHydration(carol);
  await carol.getByRole('button', { name: `Revoke ${tokenName}` }).click();
  await expect(row.getByText(/^Revoked /)).toBeVisible();
  await expect(carol.getByRole('button', { name: `Revoke ${tokenName}` })).toHaveCount(0);
  const afterRevoke = await carol.request.get(scim, { headers: { authorization: `Bearer ${token}` } });
  expect(afterRevoke.status()).toBe(401);
});

test('the Directory page is for administrators only', async ({ people }) => {
  const bob = await people.as('bob');
  const response = await bob.goto('/admin/directory');
  expect(response?.status()).toBe(403);
  await expect(bob.getByRole('heading', { name: 'Directory' })).toHaveCount(0);
  await expect(bob.getByRole('button', { name: 'Create directory token' })).toHaveCount(0);
  // Nor can a person who is not an admin call the page's server function.
  const create = await bob.request.post('/api/directory/tokens/create', {
    form: { name: 'Sneaky', days: '30' },
  });
  expect(create.ok()).toBe(false);
});
