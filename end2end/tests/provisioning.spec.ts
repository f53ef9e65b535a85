// Issue 17, manual fulfilment: an item without a connector. The owner sees the
// grant as a fulfilment task in the inbox, does it by hand, marks it done with a
// note; until then the requester's page says it waits, then that it is done.
import { expectAccessible } from './a11y';
import {
  createItem,
  decideTask,
  expect,
  openInbox,
  requestAccess,
  screenshot,
  setNamedApprovers,
  test,
  uniqueName,
} from './flows';

test.slow();

test('a grant without a connector waits for the owner, who marks it done with a note', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const name = uniqueName('Badge access');
  await createItem(carol, { name, kind: 'Entitlement', owner: 'Carol Example' });
  await setNamedApprovers(carol, ['Bob Example']);

  // The Provisioning tab: manual fulfilment is the default; the webhook's secret is write-only.
  await carol.getByRole('tab', { name: 'Provisioning' }).click();
  await expect(carol).toHaveURL(/[?&]tab=provisioning\b/);
  await expect(carol.getByRole('heading', { level: 2, name: 'Provisioning' })).toBeVisible();
  await expect(carol.getByRole('radio', { name: 'Manual fulfilment' })).toBeChecked();
  await expect(carol.getByLabel('Shared secret')).toHaveAttribute('type', 'password');
  await expect(carol.getByRole('button', { name: 'Test connection' })).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'provisioning-item-tab');

  const alice = await people.as('alice');
  const requestPage = await requestAccess(alice, name, 'I open the building on Mondays.');
  const bob = await people.as('bob');
  await openInbox(bob);
  await decideTask(bob, name, 'Approve', 'Fine.');

  // The requester sees that it is approved but not yet provisioned.
  await alice.goto(requestPage);
  await expect(alice.getByRole('heading', { level: 2, name: 'Provisioning' })).toBeVisible();
  const job = alice.getByTestId('provisioning-job');
  await expect(job).toContainText(`Grant ${name} to Alice Example`);
  await expect(job).toContainText('Waiting for manual fulfilment');
  await screenshot(alice, 'provisioning-request-waiting');

  // The owner's inbox has the fulfilment task.
  await carol.goto('/inbox');
  const title = `Grant ${name} to Alice Example`;
  const tasks = carol.getByRole('region', { name: 'Fulfilment tasks' });
  await expect(tasks.getByRole('heading', { level: 3, name: title })).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'provisioning-fulfilment-task');
  const note = carol.getByLabel(`What you did (${title})`);
  const markDone = carol.getByRole('button', { name: `Mark as done: ${title}` });
  // With the WebAssembly running the page says so; without it the form posts and
  // the inbox reloads. Either way the task is gone.
  await note.fill('Badge 4711 enabled for building B.');
  await markDone.click();
  await expect(tasks).toHaveCount(0);

  await alice.reload();
  await expect(job).toContainText('Done by hand by Carol Example at');
  await expect(job).toContainText('Note: Badge 4711 enabled for building B.');
  await screenshot(alice, 'provisioning-request-done');
  await alice.goto('/access');
  await expect(alice.getByRole('row', { name: new RegExp(name) })).toContainText('Done');

  // The administrators' page lists what needs attention (nothing failed here).
  await carol.goto('/admin/provisioning');
  await expect(carol.getByRole('heading', { level: 1, name: 'Provisioning' })).toBeVisible();
  await expect(carol.getByRole('link', { name: 'Failed' })).toHaveAttribute('aria-current', 'page');
  await expectAccessible(carol);
  await screenshot(carol, 'provisioning-admin');
});

test('a webhook that does not answer is retried, and the request and the admin page say so', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const name = uniqueName('Warehouse app');
  await createItem(carol, { name, kind: 'Application', owner: 'Carol Example' });
  await setNamedApprovers(carol, ['Bob Example']);

  // Nothing listens on port 9: "Test connection" says so before anything is saved.
  await carol.getByRole('tab', { name: 'Provisioning' }).click();
  await carol.getByRole('radio', { name: 'Signed webhook' }).check();
  await carol.getByLabel('Webhook URL').fill('http://127.0.0.1:9/countersign');
  await carol.getByLabel('Shared secret').fill('e2e-shared-secret-0123456789abcdef');
  const refused = carol.getByRole('alert').filter({ hasText: 'The receiver did not accept the test event' });
  await expect(async () => {
    await carol.getByRole('button', { name: 'Test connection' }).click();
    await expect(refused).toBeVisible({ timeout: 1000 });
  }).toPass();
  await expect(refused).toContainText('connection refused');
  await screenshot(carol, 'provisioning-webhook-test-refused');
  await carol.getByRole('button', { name: 'Save provisioning' }).click();
  await expect(carol.getByRole('status').filter({ hasText: 'Provisioning saved.' })).toBeVisible();
  await expect(carol.getByText('A secret is stored (encrypted; it is never shown again).')).toBeVisible();
  await expect(carol.getByLabel('Shared secret')).toHaveValue('');

  const alice = await people.as('alice');
  const requestPage = await requestAccess(alice, name, 'Stock counts.');
  const bob = await people.as('bob');
  await openInbox(bob);
  await decideTask(bob, name, 'Approve', 'Fine.');

  // The server's worker (every second) tries, fails, and schedules a retry.
  const job = alice.getByTestId('provisioning-job');
  await expect(async () => {
    await alice.goto(requestPage);
    await expect(job).toContainText('Retrying (attempt 2 of 8, next at', { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(job).toContainText('last error: could not deliver: connection refused');
  await screenshot(alice, 'provisioning-request-retrying');

  await carol.goto('/admin/provisioning?state=queued');
  const row = carol.getByRole('row', { name: new RegExp(`Grant ${name} to Alice Example`) });
  await expect(row).toContainText('Retrying');
  await expect(row.getByRole('button', { name: `Retry: Grant ${name} to Alice Example` })).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'provisioning-admin-retrying');
});
