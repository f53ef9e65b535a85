// Issue 21: every decision is a real form. With JavaScript disabled (and so
// before the WebAssembly arrives) an approver approves — signing in again at the
// provider when the item requires it —, denies, and decides several tasks
// together; and a comment typed before hydration survives it.
import type { Browser, Page } from '@playwright/test';
import {
  createItem,
  expect,
  inboxTask,
  type People,
  requestAccess,
  requestStatus,
  saveAndWaitForNewVersion,
  screenshot,
  setNamedApprovers,
  test,
  uniqueName,
  reauthenticationOn,
  waitForHydration,
} from './flows';
import { expectServerHtmlAccessible } from './a11y';
import { signIn, signInAgainAtProvider } from './session';

// Several people sign in at the provider in turn.
test.slow();

/** `login` signed in, in a browser context without JavaScript; closed after `body`. */
async function withoutScript(browser: Browser, baseURL: string | undefined, login: string, body: (page: Page) => Promise<void>) {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await signIn(page, login);
    await body(page);
  } finally {
    await context.close();
  }
}

/** As carol: a requestable role approved by Bob Example alone; its approvals e-signed when `signed`. */
async function itemApprovedByBob(people: People, prefix: string, signed: boolean) {
  const carol = await people.as('carol');
  const name = uniqueName(prefix);
  await createItem(carol, { name, kind: 'Role' });
  await setNamedApprovers(carol, ['Bob Example']);
  if (signed) {
    await carol.getByRole('tab', { name: 'Reauthentication' }).click();
    await carol.getByRole('checkbox', { name: 'Require Approval Reauthentication' }).check();
    await saveAndWaitForNewVersion(carol, 'Save reauthentication', 'Reauthentication setting saved.');
  }
  return name;
}

test('without JavaScript bob approves a signed request by signing in again, and denies another', async ({
  browser,
  baseURL,
  people,
}) => {
  await people.provision('bob');
  await reauthenticationOn(await people.as('carol'));
  const signedItem = await itemApprovedByBob(people, 'No-script ledger', true);
  const plainItem = await itemApprovedByBob(people, 'No-script badge', false);
  const alice = await people.as('alice');
  const signedRequest = await requestAccess(alice, signedItem, 'I close the books this month.');
  const plainRequest = await requestAccess(alice, plainItem, 'I need a door badge.');

  await withoutScript(browser, baseURL, 'bob', async (bob) => {
    await bob.goto('/inbox');
    const signedTask = inboxTask(bob, signedItem);
    await expect(signedTask.getByText('Signature required')).toBeVisible();
    await signedTask.getByLabel('Comment', { exact: true }).fill('Checked with finance.');
    await screenshot(bob, 'inbox-no-javascript');
    await expectServerHtmlAccessible(bob);
    await signedTask.getByRole('button', { name: 'Approve', exact: true }).click();

    // Straight to the provider, then back: one button completes the signed approval.
    await signInAgainAtProvider(bob, 'bob');
    await expect(bob).toHaveURL(/\/inbox\?signed=/);
    await bob.getByRole('button', { name: 'Complete the signed action' }).click();
    await expect(bob.getByRole('status').filter({ hasText: 'Signed and done: your signed action is complete.' })).toBeVisible();
    await expect(inboxTask(bob, signedItem)).toHaveCount(0);
    await screenshot(bob, 'inbox-no-javascript-signed');

    // A denial needs a reason: without one the server refuses and nothing changes.
    const plainTask = inboxTask(bob, plainItem);
    await plainTask.getByRole('button', { name: 'Deny', exact: true }).click();
    await expect(bob.getByRole('alert').filter({ hasText: 'That did not work.' })).toBeVisible();
    await expect(inboxTask(bob, plainItem)).toHaveCount(1);
    await inboxTask(bob, plainItem).getByLabel('Comment', { exact: true }).fill('Badges go through facilities.');
    await inboxTask(bob, plainItem).getByRole('button', { name: 'Deny', exact: true }).click();
    await expect(bob.getByRole('status').filter({ hasText: 'Done: 1 task decided.' })).toBeVisible();
    await expect(inboxTask(bob, plainItem)).toHaveCount(0);
  });

  // The same rules decided: the signed approval carries bob's e-signature.
  await alice.goto(signedRequest.replace('?created=1', ''));
  await expect(requestStatus(alice)).toHaveText('Approved');
  await expect(alice.getByText(/Approved by Bob Example — re-authenticated at \d\d:\d\d:\d\d UTC/)).toBeVisible();
  await expect(alice.getByText('Checked with finance.')).toBeVisible();
  await alice.goto(plainRequest.replace('?created=1', ''));
  await expect(requestStatus(alice)).toHaveText('Denied');
  await expect(alice.getByText('Badges go through facilities.')).toBeVisible();
});

test('without JavaScript bob denies the tasks he ticks together, after confirming them by name', async ({
  browser,
  baseURL,
  people,
}) => {
  await people.provision('bob');
  const first = await itemApprovedByBob(people, 'No-script batch one', false);
  const second = await itemApprovedByBob(people, 'No-script batch two', false);
  const alice = await people.as('alice');
  const requests = [
    await requestAccess(alice, first, 'Batch one.'),
    await requestAccess(alice, second, 'Batch two.'),
  ];

  await withoutScript(browser, baseURL, 'bob', async (bob) => {
    const tick = async () => {
      await bob.goto('/inbox');
      for (const name of [first, second]) {
        await bob.getByRole('checkbox', { name: `Select Access to ${name}`, exact: true }).check();
      }
      await bob.getByLabel('Comment for the selected tasks').fill('Neither is needed this quarter.');
      await bob.getByRole('button', { name: 'Deny selected' }).click();
    };
    // Deny selected asks first, naming the tasks; going back changes nothing.
    await tick();
    const confirm = bob.getByRole('region', { name: 'Deny 2 selected tasks?' });
    await expect(confirm).toBeVisible();
    await expect(confirm.getByRole('listitem')).toHaveCount(2);
    for (const name of [first, second]) {
      await expect(confirm.getByRole('listitem').filter({ hasText: `${name} — Alice Example` })).toHaveCount(1);
    }
    await screenshot(bob, 'inbox-batch-deny-confirm');
    await expectServerHtmlAccessible(bob);
    await confirm.getByRole('link', { name: 'Back to the inbox' }).click();
    await expect(inboxTask(bob, first)).toHaveCount(1);
    await expect(inboxTask(bob, second)).toHaveCount(1);

    await tick();
    await bob.getByRole('button', { name: 'Yes, deny 2 tasks' }).click();
    await expect(bob.getByRole('status').filter({ hasText: 'Done: 2 tasks decided.' })).toBeVisible();
    await expect(inboxTask(bob, first)).toHaveCount(0);
    await expect(inboxTask(bob, second)).toHaveCount(0);
  });

  for (const request of requests) {
    await alice.goto(request.replace('?created=1', ''));
    await expect(requestStatus(alice)).toHaveText('Denied');
    await expect(alice.getByText('Neither is needed this quarter.')).toBeVisible();
  }
});

test('a comment typed before the WebAssembly arrives stays, and the decision then works', async ({ people }) => {
  await people.provision('bob');
  const name = await itemApprovedByBob(people, 'Early comment', false);
  const alice = await people.as('alice');
  const request = await requestAccess(alice, name, 'Early typing.');

  const bob = await people.as('bob');
  // Hold the WebAssembly back until the comment is typed.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await bob.route('**/pkg/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await bob.goto('/inbox', { waitUntil: 'domcontentloaded' });
  const task = inboxTask(bob, name);
  await task.getByLabel('Comment', { exact: true }).fill('Typed before hydration.');
  await expect(bob.locator('body')).not.toHaveAttribute('data-hydrated', '');
  release();
  await waitForHydration(bob);
  await expect(task.getByLabel('Comment', { exact: true })).toHaveValue('Typed before hydration.');
  await task.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(bob.getByRole('status').filter({ hasText: 'Done: 1 task decided.' })).toBeVisible();

  await alice.goto(request.replace('?created=1', ''));
  await expect(requestStatus(alice)).toHaveText('Approved');
  await expect(alice.getByText('Typed before hydration.')).toBeVisible();
});
