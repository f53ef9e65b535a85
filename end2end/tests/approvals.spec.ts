// Issue "Approver": a request passes its approval steps in order; each approver
// decides it from their inbox; a denial needs a reason and ends the request.
import { expectAccessible } from './a11y';
import {
  createItem,
  decideTask,
  expect,
  inboxTask,
  openInbox,
  type People,
  requestAccess,
  requestStatus,
  screenshot,
  setNamedApprovers,
  test,
  uniqueName,
  waitForInboxHydration,
} from './flows';

// Four people sign in at the provider in turn: more than the default 30 s.
test.slow();

/** As carol: a requestable item approved by Bob Example, then Dave Example (no reauthentication). */
async function itemApprovedByBobThenDave(people: People, prefix: string) {
  const carol = await people.as('carol');
  const name = uniqueName(prefix);
  await createItem(carol, { name, kind: 'Role', description: `${prefix}: two approvers.` });
  await setNamedApprovers(carol, ['Bob Example', 'Dave Example']);
  await carol.getByRole('tab', { name: 'Reauthentication' }).click();
  await expect(carol.getByRole('checkbox', { name: 'Require Approval Reauthentication' })).not.toBeChecked();
  return name;
}

test('two named approvers approve in turn from their inboxes and the requester gets the access', async ({ people }) => {
  await people.provision('bob', 'dave');
  const name = await itemApprovedByBobThenDave(people, 'Warehouse supervisor');

  const alice = await people.as('alice');
  const justification = 'I cover the night shift at the warehouse from next month.';
  const requestPage = await requestAccess(alice, name, justification);
  await expect(requestStatus(alice)).toHaveText('Pending');

  // Bob, step 1: the Inbox link counts the task, the inbox shows it.
  const bob = await people.as('bob');
  const waiting = await openInbox(bob);
  const bobsTask = inboxTask(bob, name);
  await expect(bobsTask).toHaveCount(1);
  await expect(bobsTask.getByRole('definition')).toContainText([
    'Alice Example', // Requested by
    'Alice Example', // For
    'Role', // Kind
    justification,
    'none', // End date
  ]);
  await expect(bobsTask.getByRole('link', { name: 'Request details' })).toBeVisible();
  await screenshot(bob, 'approvals-inbox-bob');

  const comment = 'Approved: the shift plan lists Alice.';
  await decideTask(bob, name, 'Approve', comment);
  // The Inbox link counts one task fewer (soft: the rest is still checked).
  await expect
    .soft(bob.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: /^Inbox/ }), 'the Inbox count follows the decision')
    .toHaveAccessibleName(waiting > 1 ? new RegExp(`^Inbox\\s*${waiting - 1} waiting$`) : 'Inbox', { timeout: 3_000 });
  await expectAccessible(bob);
  await screenshot(bob, 'approvals-inbox-bob-decided');

  // Dave, step 2.
  const dave = await people.as('dave');
  await openInbox(dave);
  const davesTask = inboxTask(dave, name);
  await expect(davesTask).toHaveCount(1);
  await expect(davesTask.getByRole('definition').last()).toHaveText('Step 2 of 2');
  await screenshot(dave, 'approvals-inbox-dave');
  await decideTask(dave, name, 'Approve');
  await expectAccessible(dave);

  // Alice: the request is approved, step by step, and she holds the access.
  await alice.goto(requestPage);
  await expect(requestStatus(alice)).toHaveText('Approved');
  const steps = alice.getByRole('list', { name: 'Approval steps' }).getByRole('listitem');
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(0)).toContainText('Step 1 of 2: Bob Example');
  await expect(steps.nth(0)).toContainText('Approved by Bob Example');
  await expect(steps.nth(0)).toContainText(`Comment: ${comment}`);
  await expect(steps.nth(1)).toContainText('Step 2 of 2: Dave Example');
  await expect(steps.nth(1)).toContainText('Approved by Dave Example');
  await expectAccessible(alice);
  await screenshot(alice, 'approvals-request-approved');

  await alice.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'My access' }).click();
  await expect(alice.getByRole('heading', { level: 1, name: 'My access' })).toBeVisible();
  const held = alice.getByRole('table', { name: 'Access you hold' }).getByRole('row').filter({ hasText: name });
  await expect(held).toHaveCount(1);
  await expect(held.getByRole('cell').nth(1)).toHaveText('Role');
  await expect(held.getByRole('cell').nth(3)).toHaveText('no end date');
  await expectAccessible(alice);
  await screenshot(alice, 'approvals-my-access');
});

test('a denial needs a comment; with one, the request is denied and goes no further', async ({ people }) => {
  await people.provision('bob', 'dave');
  const name = await itemApprovedByBobThenDave(people, 'Treasury payments');

  const alice = await people.as('alice');
  const requestPage = await requestAccess(alice, name, 'I want to see how payments are approved.');

  const bob = await people.as('bob');
  const waiting = await openInbox(bob);
  const task = inboxTask(bob, name);
  await expect(task).toHaveCount(1);
  await waitForInboxHydration(bob, name);

  // Deny without a comment: a clear error, and nothing is decided.
  await task.getByRole('button', { name: 'Deny', exact: true }).click();
  const error = bob.getByRole('alert');
  await expect(error).toBeVisible();
  // The message must say what is missing (soft: the rest is still checked).
  await expect.soft(error, 'the error names the comment').toContainText(/comment/i, { timeout: 2_000 });
  await expect(task).toHaveCount(1);
  await expect(bob.getByRole('status').filter({ hasText: 'decided' })).toHaveCount(0);
  await expectAccessible(bob);
  await screenshot(bob, 'approvals-inbox-deny-without-comment');
  await bob.reload();
  await expect(task).toHaveCount(1);
  await expect(
    bob.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: /^Inbox/ }),
  ).toHaveAccessibleName(new RegExp(`^Inbox\\s*${waiting} waiting$`));
  await alice.goto(requestPage);
  await expect(requestStatus(alice)).toHaveText('Pending');

  // With a comment: denied.
  const reason = 'Payments access is for the treasury team only.';
  await decideTask(bob, name, 'Deny', reason);
  await expectAccessible(bob);

  await alice.reload();
  await expect(requestStatus(alice)).toHaveText('Denied');
  const steps = alice.getByRole('main').getByRole('listitem');
  await expect(steps.first()).toContainText('Denied by Bob Example');
  await expect(steps.first()).toContainText(`Comment: ${reason}`);
  await expect(steps.filter({ hasText: 'Approved' })).toHaveCount(0);
  await expectAccessible(alice);
  await screenshot(alice, 'approvals-request-denied');

  // Dave never gets a task for it, and Alice does not hold it.
  const dave = await people.as('dave');
  await dave.goto('/inbox');
  await expect(dave.getByRole('heading', { level: 1, name: 'Inbox' })).toBeVisible();
  await expect(inboxTask(dave, name)).toHaveCount(0);
  await expectAccessible(dave);
  await alice.goto('/access');
  await expect(alice.getByRole('heading', { level: 1, name: 'My access' })).toBeVisible();
  await expect(alice.getByRole('row').filter({ hasText: name })).toHaveCount(0);
  await expectAccessible(alice);
});
