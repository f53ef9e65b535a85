// Issue 21: pages that say what is true and ask before destroying. The catalog
// promises e-signed approvals only when the organisation and the item both
// require them; a request shows its whole approval path up front; revoking a
// token and asking for a removal ask first.
import { expectAccessible } from './a11y';
import {
  createItem,
  decideTask,
  expect,
  openCatalogItem,
  reauthenticationOn,
  requestAccess,
  saveAndWaitForNewVersion,
  screenshot,
  setNamedApprovers,
  test,
  uniqueName,
  waitForHydration,
} from './flows';
import { signInAgainAtProvider } from './session';

test.slow();

const PROMISE = 'Approvals of this access are e-signed: approvers sign in again to approve.';

test('the catalog promises e-signed approvals only while the organisation requires them too', async ({ people }) => {
  await people.provision('bob', 'dave');
  const carol = await people.as('carol');
  const name = uniqueName('Signed ledger');
  await createItem(carol, { name, kind: 'Role' });
  await setNamedApprovers(carol, ['Bob Example', 'Dave Example']);
  await carol.getByRole('tab', { name: 'Reauthentication' }).click();
  await carol.getByRole('checkbox', { name: 'Require Approval Reauthentication' }).check();
  await saveAndWaitForNewVersion(carol, 'Save reauthentication', 'Reauthentication setting saved.');
  await reauthenticationOn(carol);

  const alice = await people.as('alice');
  await openCatalogItem(alice, name);
  await expect(alice.getByText(PROMISE)).toBeVisible();

  // The organisation turns re-authenticated approvals off (a weakening: carol signs it).
  const on = carol.getByLabel('Re-authenticated approvals');
  await on.uncheck();
  await carol.getByRole('button', { name: 'Save settings' }).click();
  await signInAgainAtProvider(carol, 'carol');
  await expect(carol.getByText('Signed and saved: the settings are changed.')).toBeVisible();
  try {
    await openCatalogItem(alice, name);
    await expect(alice.getByText(PROMISE)).toHaveCount(0);
    await screenshot(alice, 'catalog-item-no-signature-promise');

    // Nor does the request page promise a signature.
    const request = await requestAccess(alice, name, 'Quarter close.');
    await expect(alice.getByText('Signature required')).toHaveCount(0);
    await alice.goto(request.replace('?created=1', ''));
  } finally {
    await reauthenticationOn(carol);
  }
});

test('a request shows every step up front: whose turn, who comes next, and where a signature is needed', async ({
  people,
}) => {
  await people.provision('bob', 'dave');
  const carol = await people.as('carol');
  await reauthenticationOn(carol);
  const name = uniqueName('Two-step vault');
  await createItem(carol, { name, kind: 'Role' });
  await setNamedApprovers(carol, ['Bob Example', 'Dave Example']);
  await carol.getByRole('tab', { name: 'Reauthentication' }).click();
  await carol.getByRole('checkbox', { name: 'Require Approval Reauthentication' }).check();
  await saveAndWaitForNewVersion(carol, 'Save reauthentication', 'Reauthentication setting saved.');

  const alice = await people.as('alice');
  const requestPage = (await requestAccess(alice, name, 'I hold the vault keys on Fridays.')).replace('?created=1', '');
  await expect(alice.getByText('Waiting at step 1 of 2.')).toBeVisible();
  const steps = alice.getByRole('list', { name: 'Approval steps' }).getByRole('listitem');
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(0)).toContainText('Step 1 of 2: Bob Example');
  await expect(steps.nth(0)).toContainText('Waiting');
  await expect(steps.nth(0)).toContainText('Signature required');
  await expect(steps.nth(1)).toContainText('Step 2 of 2: Dave Example');
  await expect(steps.nth(1)).toContainText('Not reached yet');
  await expect(steps.nth(1)).toContainText('Signature required');
  await expectAccessible(alice);
  await screenshot(alice, 'request-timeline-pending');
  await alice.setViewportSize({ width: 390, height: 844 });
  await screenshot(alice, 'request-timeline-phone');
  await alice.setViewportSize({ width: 1280, height: 720 });

  // Bob signs his approval; the timeline then shows who, when, the comment and the signature.
  const bob = await people.as('bob');
  await bob.goto('/inbox');
  await waitForHydration(bob);
  const task = bob.getByRole('listitem').filter({ has: bob.getByRole('heading', { name: `Access to ${name}` }) });
  await task.getByLabel('Comment', { exact: true }).fill('Vault rota checked.');
  await task.getByRole('button', { name: 'Approve', exact: true }).click();
  await signInAgainAtProvider(bob, 'bob');
  await expect(bob.getByText('Signed and approved: 1 task.')).toBeVisible();

  await alice.goto(requestPage);
  await expect(alice.getByText('Waiting at step 2 of 2.')).toBeVisible();
  await expect(steps.nth(0)).toContainText(/Approved by Bob Example — re-authenticated at \d\d:\d\d:\d\d UTC \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/);
  await expect(steps.nth(0)).toContainText('Comment: Vault rota checked.');
  await expect(steps.nth(0)).not.toContainText('Signature required');
  await expect(steps.nth(1)).toContainText('Step 2 of 2: Dave Example');
  await expect(steps.nth(1)).toContainText('Signature required');
  await expectAccessible(alice);
  await screenshot(alice, 'request-timeline-step-two');
});

test('revoking a token and asking for a removal ask first, and going back changes nothing', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const name = uniqueName('Removable badge');
  await createItem(carol, { name, kind: 'Role' });
  await setNamedApprovers(carol, ['Bob Example']);
  const alice = await people.as('alice');
  await requestAccess(alice, name, 'Door badge.');
  const bob = await people.as('bob');
  await bob.goto('/inbox');
  await decideTask(bob, name, 'Approve', 'Fine.');

  // Removal: the reason, then "Request removal of …?".
  await alice.goto('/access');
  await expect(alice.getByRole('heading', { level: 1, name: 'My access' })).toBeVisible();
  await alice.getByLabel(`Reason for removing ${name}`).fill('I moved to another building.');
  await alice.getByRole('row').filter({ hasText: name }).getByRole('button', { name: 'Request removal' }).click();
  const confirm = alice.getByRole('region', { name: `Request removal of ${name}?` });
  await expect(confirm).toBeVisible();
  await expect(confirm).toContainText('I moved to another building.');
  await expectAccessible(alice);
  await screenshot(alice, 'access-removal-confirm');
  await confirm.getByRole('link', { name: 'Keep my access' }).click();
  await expect(alice.getByRole('region', { name: /^Request removal of/ })).toHaveCount(0);
  await expect(alice.getByRole('row').filter({ hasText: name }).getByRole('button', { name: 'Request removal' })).toBeVisible();
  await alice.goBack();
  await waitForHydration(alice);
  await alice.getByRole('button', { name: 'Yes, request removal' }).click();
  await expect(alice.getByRole('status').filter({ hasText: 'Removal requested.' })).toBeVisible();
  await expect(alice.getByRole('row').filter({ hasText: name })).toContainText('Removal pending');
  await expect(alice.getByRole('region', { name: /^Request removal of/ })).toHaveCount(0);

  // Token: created (signed by signing in again), then "Revoke the token …?".
  await alice.goto('/tokens');
  await waitForHydration(alice);
  const tokenName = uniqueName('ci script');
  await alice.getByLabel('Name', { exact: true }).fill(tokenName);
  await alice.getByRole('button', { name: 'Create token' }).click();
  await signInAgainAtProvider(alice, 'alice');
  await expect(alice.getByTestId('new-token')).toBeVisible();
  const row = alice.getByRole('table', { name: 'Your tokens' }).getByRole('row').filter({ hasText: tokenName });
  await row.getByRole('button', { name: `Revoke ${tokenName}` }).click();
  const revoke = alice.getByRole('region', { name: `Revoke the token ${tokenName}?` });
  await expect(revoke).toBeVisible();
  await expectAccessible(alice);
  await screenshot(alice, 'tokens-revoke-confirm');
  await revoke.getByRole('link', { name: 'Keep the token' }).click();
  await expect(row).not.toContainText('Revoked');
  await row.getByRole('button', { name: `Revoke ${tokenName}` }).click();
  await alice.getByRole('button', { name: `Yes, revoke ${tokenName}` }).click();
  await expect(alice.getByRole('status').filter({ hasText: 'Token revoked' })).toBeVisible();
  await expect(row).toContainText('Revoked');
});

test('the audit trail exports from its page as downloads, with empty filters meaning none', async ({ people }) => {
  const erin = await people.as('erin');
  await erin.goto('/audit');
  await expect(erin.getByRole('heading', { level: 1, name: 'Audit trail' })).toBeVisible();
  // Once the WebAssembly runs the client router catches links: these are full loads all the same.
  await waitForHydration(erin);
  const csv = erin.waitForEvent('download');
  await erin.getByRole('link', { name: 'Export CSV' }).click();
  const file = await csv;
  expect(file.suggestedFilename()).toMatch(/\.csv$/);
  const text = await (await file.createReadStream()).toArray();
  const body = Buffer.concat(text).toString('utf8');
  expect(body.split('\n')[0]).toMatch(/^seq,at_utc,actor_name/);
  expect(body.split('\n').length).toBeGreaterThan(2);
  await expect(erin.getByRole('heading', { level: 1, name: 'Audit trail' })).toBeVisible();

  // Filtered by action (the other filters left empty).
  await erin.getByLabel('Action').fill('request.created');
  await erin.getByRole('button', { name: 'Filter' }).click();
  await expect(erin).toHaveURL(/action=request\.created/);
  const json = erin.waitForEvent('download');
  await erin.getByRole('link', { name: 'Export JSON' }).click();
  const jsonFile = await json;
  expect(jsonFile.suggestedFilename()).toMatch(/\.json$/);
  const records = JSON.parse(Buffer.concat(await (await jsonFile.createReadStream()).toArray()).toString('utf8'));
  expect(Array.isArray(records)).toBe(true);
  for (const record of records) expect(record.action).toBe('request.created');
});
