// Issue 14 in the browser: handing a task over goes only to people who could
// approve its step (found by a search); a personal access token is created only
// after signing in again, and shown once; "Sign out everywhere" ends every
// session; with approvalsMustBeExternal the inbox is read-only, and turning that
// off again asks the admin to sign in again.
import { expectAccessible } from './a11y';
import {
  addNamedApprover,
  approvalSteps,
  createItem,
  expect,
  inboxTask,
  openInbox,
  pickPerson,
  requestAccess,
  saveAndWaitForNewVersion,
  screenshot,
  setNamedApprovers,
  test,
  uniqueName,
  waitForHydration,
  waitForInboxHydration,
} from './flows';
import { signInAgainAtProvider } from './session';

test.slow();

test('a task is handed over only to someone who could approve its step', async ({ people }) => {
  await people.provision('bob', 'dave', 'erin');
  const carol = await people.as('carol');
  const name = uniqueName('Forklift licence');
  await createItem(carol, { name, kind: 'Entitlement' });
  await setNamedApprovers(carol, ['Bob Example']);
  const alice = await people.as('alice');
  await requestAccess(alice, name, 'I drive the forklift on Saturdays.');

  const bob = await people.as('bob');
  await openInbox(bob);
  await waitForInboxHydration(bob, name);
  const task = inboxTask(bob, name);
  const reassignTo = task.getByRole('combobox', { name: 'Reassign to' });
  // Erin is an auditor, not an approver: she is never offered.
  await reassignTo.fill('Erin');
  await expect(task.getByRole('status').filter({ hasText: 'Nobody matches' })).toBeVisible();
  await expect(task.getByRole('option')).toHaveCount(0);
  await pickPerson(task, 'Reassign to', 'Da', 'Dave Example');
  await task.getByLabel('Comment', { exact: true }).fill('I am on leave next week.');
  await expectAccessible(bob);
  await screenshot(bob, 'inbox-reassign-picker');
  await task.getByRole('button', { name: 'Reassign', exact: true }).click();
  await expect(bob.getByRole('status').filter({ hasText: 'Task handed over.' })).toBeVisible();
  await expect(task).toHaveCount(0);

  const dave = await people.as('dave');
  await openInbox(dave);
  await expect(inboxTask(dave, name)).toHaveCount(1);
});

test('a personal access token is created after signing in again, and sign out everywhere ends every session', async ({ people }) => {
  const bob = await people.as('bob');
  const bobsPhone = await people.as('bob');
  await bob.goto('/tokens');
  await expect(bob.getByRole('heading', { level: 1, name: 'Personal access tokens' })).toBeVisible();
  // Before hydration the form would post to the server function itself and show its raw answer.
  await waitForHydration(bob);
  await bob.getByLabel('Name', { exact: true }).fill('Nightly export');
  await bob.getByRole('button', { name: 'Create token' }).click();
  await signInAgainAtProvider(bob, 'bob');
  await expect(bob.getByText('Signed and created. Copy your token now: it is shown only once.')).toBeVisible();
  await expect(bob.getByTestId('new-token')).toHaveText(/^cs_/);
  await expect(bob.getByRole('cell', { name: 'Nightly export', exact: true })).toBeVisible();
  await expectAccessible(bob);
  await screenshot(bob, 'tokens-created-after-signing-again');

  await bob.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(bob.getByRole('heading', { name: /signed out/i })).toBeVisible();
  // The other browser's Countersign session is over too: its next page asks the
  // provider again (whose own session there is the provider's to end).
  const next = await bobsPhone.request.get('/inbox', { maxRedirects: 0 });
  expect(next.status()).toBe(303);
  expect(next.headers()['location']).toMatch(/^\/auth\/login/);
});

test('with approvals made externally the inbox is read-only, and turning that off needs the admin to sign in again', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const name = uniqueName('Loading dock');
  await createItem(carol, { name, kind: 'Role' });
  await setNamedApprovers(carol, ['Bob Example']);
  const alice = await people.as('alice');
  await requestAccess(alice, name, 'I receive deliveries on Mondays.');

  const external = carol.getByLabel('Approvals are made externally');
  await carol.goto('/admin/settings');
  await expect(carol.getByRole('heading', { name: 'Access-request settings' })).toBeVisible();
  await expect(async () => {
    await external.check();
    await carol.getByRole('button', { name: 'Save settings' }).click();
    await expect(carol.getByText('Settings saved.')).toBeVisible({ timeout: 2000 });
  }).toPass();

  const bob = await people.as('bob');
  await bob.goto('/inbox');
  await expect(bob.getByText('this inbox is read-only')).toBeVisible();
  const task = inboxTask(bob, name);
  await expect(task).toHaveCount(1);
  await expect(task.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);
  await expectAccessible(bob);
  await screenshot(bob, 'inbox-read-only-external');

  // Weakening the control again: carol signs in again to sign the change.
  await carol.goto('/admin/settings');
  await expect(async () => {
    await external.uncheck();
    await carol.getByRole('button', { name: 'Save settings' }).click();
    await expect(carol.getByText('Please sign in again to confirm it is you.')).toBeVisible({ timeout: 2000 });
  }).toPass();
  await signInAgainAtProvider(carol, 'carol');
  await expect(carol.getByText('Signed and saved: the settings are changed.')).toBeVisible();
  await screenshot(carol, 'settings-signed-weakening');
  await bob.goto('/inbox');
  await expect(inboxTask(bob, name).getByRole('button', { name: 'Approve', exact: true })).toBeVisible();
});

test('changing who approves an item whose approvals must be e-signed asks the admin to sign in again', async ({ people }) => {
  await people.provision('bob', 'dave');
  const carol = await people.as('carol');
  const name = uniqueName('Treasury role');
  await createItem(carol, { name, kind: 'Role' });
  await setNamedApprovers(carol, ['Bob Example']);
  await carol.getByRole('tab', { name: 'Reauthentication' }).click();
  await carol.getByRole('checkbox', { name: 'Require Approval Reauthentication' }).check();
  await saveAndWaitForNewVersion(carol, 'Save reauthentication', 'Reauthentication setting saved.');

  // Bob's step becomes Dave's: saving it sends carol to sign in again first.
  await carol.getByRole('tab', { name: /^Approvals/ }).click();
  await expect(carol).toHaveURL(/[?&]tab=approvals\b/);
  const steps = approvalSteps(carol);
  await expect(async () => {
    await carol.getByRole('button', { name: 'Remove step 1' }).click();
    await expect(steps).toHaveCount(0, { timeout: 500 });
  }).toPass();
  await addNamedApprover(carol, 'Dave Example');
  await expect(steps.nth(0)).toContainText('Step 1: Dave Example');
  await carol.getByRole('button', { name: 'Save approval steps' }).click();
  await signInAgainAtProvider(carol, 'carol');
  await expect(carol.getByText("Signed and saved: the item's approval steps are changed.")).toBeVisible();
  await expect(carol).toHaveURL(/[?&]tab=approvals\b/);
  // Reloading the page does not run the signed change a second time.
  await carol.reload();
  await expect(carol.getByText('Already done: this signed action was completed.')).toBeVisible();
  await expect(carol.getByRole('alert')).toHaveCount(0);
  await expect(approvalSteps(carol)).toHaveCount(1);
  await expect(approvalSteps(carol).nth(0)).toContainText('Step 1: Dave Example');
  await expectAccessible(carol);
  await screenshot(carol, 'item-steps-changed-after-signing-again');
});
