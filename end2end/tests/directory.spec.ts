// Issue 16 in the browser: an administrator connects the organisation's
// directory. The Directory page shows the SCIM endpoint, creates a directory
// token only after the admin signs in again (shown once), lists the provider's
// SCIM requests with their outcome, and revokes the token.
import { expectAccessible } from './a11y';
import { expect, screenshot, test } from './flows';
import { signInAgainAtProvider } from './session';

test.slow();

test('an admin creates a directory token after signing in again, sees the SCIM requests, and revokes it', async ({ people }) => {
  const carol = await people.as('carol');
  await carol.goto('/admin');
  await carol.getByRole('link', { name: 'Directory (SCIM)' }).click();
  await expect(carol.getByRole('heading', { level: 1, name: 'Directory' })).toBeVisible();
  const endpoint = carol.getByTestId('scim-endpoint');
  await expect(endpoint).toHaveText(/\/scim\/v2$/);

  const tokenName = `Okta ${Date.now()}`;
  await carol.getByLabel('Name', { exact: true }).fill(tokenName);
  await expect(async () => {
    await carol.getByRole('button', { name: 'Create directory token' }).click();
    await expect(carol.getByText('Please sign in again to confirm it is you.')).toBeVisible({ timeout: 2000 });
  }).toPass();
  await signInAgainAtProvider(carol, 'carol');
  await expect(carol.getByText('Signed and created. Copy the directory token now: it is shown only once.')).toBeVisible();
  const token = (await carol.getByTestId('new-token').textContent())?.trim() ?? '';
  expect(token).toMatch(/^csd_/);
  await expect(carol.getByRole('cell', { name: tokenName, exact: true })).toBeVisible();

  // The identity provider connects with it: a lookup, as Okta starts a push.
  const scim = `${(await endpoint.textContent())?.trim()}/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`;
  const lookup = await carol.request.get(scim, { headers: { authorization: `Bearer ${token}` } });
  expect(lookup.status()).toBe(200);
  const refused = await carol.request.get(scim, { headers: { authorization: 'Bearer csd_not-a-token' } });
  expect(refused.status()).toBe(401);

  await carol.reload();
  const operations = carol.getByRole('table', { name: 'The last 100 SCIM operations' });
  await expect(operations.getByRole('row').filter({ hasText: 'GET /scim/v2/Users' }).first()).toBeVisible();
  await expect(operations.getByText('ok').first()).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'directory-page');

  await expect(async () => {
    await carol.getByRole('button', { name: `Revoke ${tokenName}` }).click();
    await expect(carol.getByText(/^Revoked /).first()).toBeVisible({ timeout: 2000 });
  }).toPass();
  const afterRevoke = await carol.request.get(scim, { headers: { authorization: `Bearer ${token}` } });
  expect(afterRevoke.status()).toBe(401);
});

test('the Directory page is for administrators only', async ({ people }) => {
  const bob = await people.as('bob');
  const response = await bob.goto('/admin/directory');
  expect(response?.status()).toBe(403);
  await expect(bob.getByRole('heading', { name: 'Directory' })).toHaveCount(0);
});
