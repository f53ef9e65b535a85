// Issue 20 in the browser: a personal access token is made with the scopes
// ticked (at least one), and the list says what each token may do; the token
// really is limited to them.
import { expectAccessible } from './a11y';
import { expect, screenshot, test, uniqueName, waitForHydration } from './flows';
import { signInAgainAtProvider } from './session';

test.slow();

test('a token is created with the scopes ticked, and can do only that', async ({ people }) => {
  const bob = await people.as('bob');
  await bob.goto('/tokens');
  await waitForHydration(bob);
  const name = uniqueName('scoped');
  await bob.getByLabel('Name', { exact: true }).fill(name);

  // Nothing ticked: refused before any signing in, and nothing is made.
  await bob.getByLabel('Read items, your requests and your tasks').uncheck();
  await bob.getByRole('button', { name: 'Create token' }).click();
  await expect(bob.getByText('choose at least one thing the token may do')).toBeVisible();
  await expect(bob.getByRole('cell', { name, exact: true })).toHaveCount(0);

  await bob.getByLabel('Read items, your requests and your tasks').check();
  await bob.getByLabel('Approve or deny your tasks').check();
  await screenshot(bob, 'tokens-choosing-scopes');
  await bob.getByRole('button', { name: 'Create token' }).click();
  await signInAgainAtProvider(bob, 'bob');
  await expect(bob.getByText('Signed and created. Copy your token now: it is shown only once.')).toBeVisible();
  const secret = (await bob.getByTestId('new-token').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^cs_/);
  const row = bob.getByRole('table', { name: 'Your tokens' }).getByRole('row').filter({ hasText: name });
  await expect(row.getByRole('cell', { name: 'read, approve', exact: true })).toBeVisible();
  await expectAccessible(bob);
  await screenshot(bob, 'tokens-created-with-scopes');

  // The token reads, but may not request access: 403 insufficient-scope.
  const headers = { authorization: `Bearer ${secret}` };
  const reads = await bob.request.get('/api/v1/approvals', { headers });
  expect(reads.status()).toBe(200);
  const requests = await bob.request.post('/api/v1/access-requests', {
    headers,
    data: { item_id: 'any', justification: 'Needed' },
  });
  expect(requests.status()).toBe(403);
  expect((await requests.json()).type).toBe('https://countersign.dev/problems/insufficient-scope');
});
