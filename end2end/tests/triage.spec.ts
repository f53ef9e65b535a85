// Issue 21, the screens' remaining defects: deciding one task once the page
// runs its WebAssembly keeps what was typed in the other cards; each card says
// "Step 1 of N"; the keyboard goes to the first error of a failed form; and a
// token made without JavaScript shows its secret once after signing in again.
import type { Page } from '@playwright/test';
import {
  createItem,
  expect,
  inboxTask,
  type People,
  requestAccess,
  screenshot,
  setNamedApprovers,
  test,
  uniqueName,
  waitForInboxHydration,
} from './flows';
import { expectAccessible, expectServerHtmlAccessible } from './a11y';
import { signIn, signInAgainAtProvider } from './session';

test.slow();

/** As carol: a requestable role approved by `approvers` in turn. */
async function itemApprovedBy(people: People, prefix: string, approvers: string[]) {
  const carol = await people.as('carol');
  const name = uniqueName(prefix);
  await createItem(carol, { name, kind: 'Role' });
  await setNamedApprovers(carol, approvers);
  return name;
}

test('deciding one task keeps the comments typed in the others, and each card says which step of how many', async ({
  people,
}) => {
  await people.provision('bob', 'dave');
  const first = await itemApprovedBy(people, 'Triage first', ['Bob Example', 'Dave Example']);
  const second = await itemApprovedBy(people, 'Triage second', ['Bob Example']);
  const alice = await people.as('alice');
  await requestAccess(alice, first, 'Quarter close.');
  await requestAccess(alice, second, 'Door badge.');

  const bob = await people.as('bob');
  await bob.goto('/inbox');
  await waitForInboxHydration(bob, first);
  await expect(inboxTask(bob, first)).toContainText('Step 1 of 2');
  await expect(inboxTask(bob, second)).toContainText('Step 1 of 1');

  const kept = inboxTask(bob, second).getByLabel('Comment', { exact: true });
  await kept.fill('Badges go through facilities.');
  await inboxTask(bob, first).getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(bob.getByRole('status').filter({ hasText: 'Done: 1 task decided.' })).toBeVisible();
  await expect(inboxTask(bob, first)).toHaveCount(0);
  await expect(kept).toHaveValue('Badges go through facilities.');
  await screenshot(bob, 'inbox-after-one-decision');

  // The kept comment is the reason of the next decision.
  await inboxTask(bob, second).getByRole('button', { name: 'Deny', exact: true }).click();
  await expect(inboxTask(bob, second)).toHaveCount(0);
  await expectAccessible(bob);
});

test('after a refused decision the keyboard is in the field to fix', async ({ people }) => {
  await people.provision('bob');
  const name = await itemApprovedBy(people, 'Triage focus', ['Bob Example']);
  const alice = await people.as('alice');
  await requestAccess(alice, name, 'Needs a reason to deny.');

  const bob = await people.as('bob');
  await bob.goto('/inbox');
  await waitForInboxHydration(bob, name);
  const task = inboxTask(bob, name);
  await task.getByRole('button', { name: 'Deny', exact: true }).click();
  await expect(task.getByRole('alert')).toHaveText('A comment is required to deny or reassign: say why.');
  await expect(task.getByLabel('Comment', { exact: true })).toBeFocused();

  // A refused token: the keyboard goes to the field named in the error.
  await bob.goto('/tokens');
  await expect(bob.locator('body')).toHaveAttribute('data-hydrated', '');
  await bob.getByLabel('Valid for (days)').fill('0');
  await bob.getByLabel('Name', { exact: true }).fill(uniqueName('focus'));
  await bob.getByRole('button', { name: 'Create token' }).click();
  await expect(bob.getByLabel('Valid for (days)')).toBeFocused();
});

/** `login` signed in, in a browser context without JavaScript; closed after `body`. */
async function withoutScript(page: Page, login: string, body: (page: Page) => Promise<void>) {
  const context = await page.context().browser()!.newContext({ baseURL: new URL(page.url()).origin, javaScriptEnabled: false });
  try {
    const plain = await context.newPage();
    await signIn(plain, login);
    await body(plain);
  } finally {
    await context.close();
  }
}

test('without JavaScript a token is created after signing in again, its secret shown once, and revoked', async ({
  people,
}) => {
  const alice = await people.as('alice');
  await withoutScript(alice, 'alice', async (page) => {
    await page.goto('/tokens');
    const name = uniqueName('no-script token');
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Create token' }).click();
    await signInAgainAtProvider(page, 'alice');
    await expect(page).toHaveURL(/\/tokens\?signed=/);
    await page.getByRole('button', { name: 'Complete the signed action' }).click();
    await expect(page.getByTestId('new-token')).toHaveText(/\S{20,}/);
    await expect(page.getByRole('button', { name: 'Copy the new token' })).toBeVisible();
    await screenshot(page, 'tokens-no-javascript-secret');
    await expectServerHtmlAccessible(page);

    // Shown once: the same page again has no secret.
    await page.reload();
    await expect(page.getByText('Signed and done: your signed action is complete.')).toBeVisible();
    await expect(page.getByTestId('new-token')).toHaveCount(0);

    // Revoked, after the question.
    const row = page.getByRole('table', { name: 'Your tokens' }).getByRole('row').filter({ hasText: name });
    await row.getByRole('button', { name: `Revoke ${name}` }).click();
    await page.getByRole('button', { name: `Yes, revoke ${name}` }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Token revoked' })).toBeVisible();
    await expect(page.getByRole('table', { name: 'Your tokens' }).getByRole('row').filter({ hasText: name })).toContainText('Revoked');
  });
});

test('a new token is copied to the clipboard by its Copy button', async ({ people }) => {
  const alice = await people.as('alice');
  await alice.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await alice.goto('/tokens');
  await expect(alice.locator('body')).toHaveAttribute('data-hydrated', '');
  await alice.getByLabel('Name', { exact: true }).fill(uniqueName('copied'));
  await alice.getByRole('button', { name: 'Create token' }).click();
  await signInAgainAtProvider(alice, 'alice');
  const secret = await alice.getByTestId('new-token').textContent();
  await expect(alice.locator('body')).toHaveAttribute('data-hydrated', '');
  await alice.getByRole('button', { name: 'Copy the new token' }).click();
  await expect(alice.getByText('Copied.')).toBeVisible();
  expect(await alice.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await screenshot(alice, 'tokens-copied');
});
