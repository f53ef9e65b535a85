// Issue 16, people pickers: wherever a person is chosen (an item's owner, a named
// approver, whom a task goes to, whom access is requested for) the person is
// found by typing part of their name; the server searches. Without JavaScript
// the picker is a search field whose Search button brings the form back with
// the matching people as radio buttons, keeping what was typed.
import { expectAccessible } from './a11y';
import {
  approvalSteps,
  createItem,
  expect,
  inboxTask,
  openCatalogItem,
  openInbox,
  pickPerson,
  requestAccess,
  screenshot,
  setNamedApprovers,
  test,
  uniqueName,
  waitForHydration,
  waitForInboxHydration,
} from './flows';
import { signIn } from './session';

test.slow();

test('an owner and a named approver are found by typing part of their name', async ({ people }) => {
  await people.provision('bob', 'dave', 'erin');
  const carol = await people.as('carol');
  const name = uniqueName('Picker role');
  await createItem(carol, { name, kind: 'Role' });

  // The owner: typing part of the surname lists the matches as a listbox.
  const owner = carol.getByRole('combobox', { name: 'Owner', exact: true });
  await owner.fill('xamp');
  await expect(owner).toHaveAttribute('aria-expanded', 'true');
  const listbox = carol.getByRole('listbox', { name: 'Owner: matching people' });
  await expect(listbox.getByRole('option', { name: /^Dave Example/ })).toBeVisible();
  await expect(listbox.getByRole('option', { name: /dave@example\.com/ })).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'picker-owner-listbox');
  // Chosen with the keyboard: down to Dave, Enter.
  await owner.fill('dave');
  await expect(listbox.getByRole('option')).toHaveCount(1);
  await owner.press('ArrowDown');
  await expect(listbox.getByRole('option', { name: /^Dave Example/ })).toHaveAttribute('aria-selected', 'true');
  await owner.press('Enter');
  await expect(carol.getByText('Owner: Dave Example')).toBeVisible();
  await carol.getByRole('button', { name: 'Save details' }).click();
  await expect(carol.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await carol.reload();
  await expect(carol.getByText('Owner: Dave Example')).toBeVisible();

  // A named approver: only people with the approver role are offered.
  await carol.getByRole('tab', { name: /^Approvals/ }).click();
  await carol.getByLabel('Approver', { exact: true }).selectOption({ label: 'A named person' });
  const approver = carol.getByRole('combobox', { name: 'Named approver', exact: true });
  await approver.fill('erin');
  await expect(carol.getByRole('status').filter({ hasText: 'Nobody matches' })).toBeVisible();
  await approver.fill('exam');
  const approvers = carol.getByRole('listbox', { name: 'Named approver: matching people' });
  await expect(approvers.getByRole('option')).toHaveText([/^Bob Example/, /^Dave Example/]);
  await screenshot(carol, 'picker-approver-listbox');
  await setNamedApprovers(carol, ['Bob Example']);
  await expect(approvalSteps(carol)).toHaveText([/Step 1: Bob Example/]);
});

test('a task is handed over to someone found by typing part of their name', async ({ people }) => {
  await people.provision('bob', 'dave');
  const carol = await people.as('carol');
  const name = uniqueName('Picker badge');
  await createItem(carol, { name, kind: 'Entitlement' });
  await setNamedApprovers(carol, ['Bob Example']);
  const alice = await people.as('alice');
  await requestAccess(alice, name, 'I open the loading bay.');

  const bob = await people.as('bob');
  await openInbox(bob);
  await waitForInboxHydration(bob, name);
  const task = inboxTask(bob, name);
  await pickPerson(task, 'Reassign to', 'av', 'Dave Example');
  await task.getByLabel('Comment', { exact: true }).fill('Dave covers the bay this week.');
  await task.getByRole('button', { name: 'Reassign', exact: true }).click();
  await expect(bob.getByRole('status').filter({ hasText: 'Task handed over.' })).toBeVisible();

  const dave = await people.as('dave');
  await openInbox(dave);
  await expect(inboxTask(dave, name)).toHaveCount(1);
});

test('access is requested on behalf of someone found by typing part of their name', async ({ people }) => {
  await people.provision('bob', 'erin');
  const carol = await people.as('carol');
  const name = uniqueName('Picker licence');
  await createItem(carol, { name, kind: 'Entitlement' });
  await setNamedApprovers(carol, ['Bob Example']);
  const anybody = carol.getByLabel('Anybody may request for anybody');
  await setSwitch(carol, anybody, true);
  try {
    const alice = await people.as('alice');
    await openCatalogItem(alice, name);
    await alice.getByLabel('Business justification').fill('Erin audits the licences.');
    await pickPerson(alice, 'Request for', 'rin', 'Erin Example');
    await expectAccessible(alice);
    await screenshot(alice, 'picker-on-behalf');
    await alice.getByRole('button', { name: 'Request access' }).click();
    await expect(alice).toHaveURL(/\/requests\/[^/?]+\?created=1$/);
    await expect(alice.getByText('Erin Example').first()).toBeVisible();
  } finally {
    await setSwitch(carol, anybody, false);
  }
});

test('a manager requests for a direct report, found among their reports only', async ({ people }) => {
  // Demo directory: bob manages alice and erin; carol and dave do not report to him.
  await people.provision('alice', 'bob', 'dave', 'erin');
  const carol = await people.as('carol');
  const name = uniqueName('Picker report');
  await createItem(carol, { name, kind: 'Entitlement' });
  await setNamedApprovers(carol, ['Dave Example']);
  const reports = carol.getByLabel('Managers may request for their reports');
  await setSwitch(carol, reports, true);
  try {
    const bob = await people.as('bob');
    await openCatalogItem(bob, name);
    await bob.getByLabel('Business justification').fill('Erin starts on the night shift.');
    const box = bob.getByRole('combobox', { name: 'Request for', exact: true });
    await box.fill('exam');
    const found = bob.getByRole('listbox', { name: 'Request for: matching people' });
    await expect(found.getByRole('option')).toHaveText([/^Alice Example/, /^Erin Example/]);
    await screenshot(bob, 'picker-on-behalf-reports');
    await pickPerson(bob, 'Request for', 'erin', 'Erin Example');
    await bob.getByRole('button', { name: 'Request access' }).click();
    await expect(bob).toHaveURL(/\/requests\/[^/?]+\?created=1$/);
    await expect(bob.getByText('Erin Example').first()).toBeVisible();

    // dave manages nobody: the catalog does not offer him the choice.
    const dave = await people.as('dave');
    await openCatalogItem(dave, name);
    await expect(dave.getByLabel('Business justification')).toBeVisible();
    await expect(dave.getByRole('combobox', { name: 'Request for' })).toHaveCount(0);
    await expect(dave.getByRole('searchbox', { name: 'Request for' })).toHaveCount(0);
  } finally {
    await setSwitch(carol, reports, false);
  }
});

test('without JavaScript the owner is found by a search that keeps the rest of the form', async ({ browser, baseURL, people }) => {
  await people.provision('bob');
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const carol = await context.newPage();
  try {
    await signIn(carol, 'carol', '/admin/items/new');
    await expect(carol.getByRole('heading', { level: 1, name: 'New access item' })).toBeVisible();
    const name = uniqueName('No-script role');
    await carol.getByLabel('Name', { exact: true }).fill(name);
    await carol.getByLabel('Description').fill('Made without JavaScript.');
    await carol.getByRole('searchbox', { name: 'Owner' }).fill('bob');
    await carol.getByRole('button', { name: 'Search' }).click();

    // The same form again, as it was, with the people found to choose from.
    await expect(carol).toHaveURL(/owner_q=bob/);
    await expect(carol.getByLabel('Name', { exact: true })).toHaveValue(name);
    await expect(carol.getByLabel('Description')).toHaveValue('Made without JavaScript.');
    const choices = carol.getByRole('group', { name: 'Owner: choose one' });
    await expect(choices.getByRole('radio', { name: 'No owner' })).toBeChecked();
    await choices.getByRole('radio', { name: /^Bob Example/ }).check();
    // (axe runs as a script in the page: not here, where none runs.)
    await screenshot(carol, 'picker-no-javascript');
    await carol.getByRole('button', { name: 'Create' }).click();

    await expect(carol).toHaveURL(/\/admin\/items\/[^/?]+\?tab=details&saved=1$/);
    await expect(carol.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(carol.getByRole('group', { name: 'Owner: choose one' }).getByRole('radio', { name: /^Bob Example/ })).toBeChecked();
  } finally {
    await context.close();
  }
});

/** On the settings page, once hydrated (before, Save would post to the server function itself): sets one switch and saves. */
async function setSwitch(page: import('@playwright/test').Page, box: import('@playwright/test').Locator, on: boolean) {
  await page.goto('/admin/settings');
  await expect(page.getByRole('heading', { name: 'Access-request settings' })).toBeVisible();
  await waitForHydration(page);
  await box.setChecked(on);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
}
