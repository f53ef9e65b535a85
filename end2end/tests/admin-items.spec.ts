// Issue "Admin: access items": an administrator creates an access item, sets who
// approves it and whether approving it is e-signed; the edit page's tabs work
// with the keyboard; people without the admin role are kept out.
import type { Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { addNamedApprover, approvalSteps, createItem, expect, saveAndWaitForNewVersion, screenshot, setNamedApprovers, test, uniqueName } from './flows';

// Several people sign in at the provider in turn: more than the default 30 s.
test.slow();

test('an admin creates an item, sets two named approvers and requires reauthentication, and it all survives a reload', async ({ people }) => {
  await people.provision('bob', 'dave');
  const carol = await people.as('carol');
  const name = uniqueName('Payroll admin role');

  await createItem(carol, { name, kind: 'Role', description: 'Administers the payroll system.' });
  await expectAccessible(carol);
  await screenshot(carol, 'admin-item-details');

  await setNamedApprovers(carol, ['Bob Example', 'Dave Example']);
  await expectAccessible(carol);
  await screenshot(carol, 'admin-item-approvals');

  await carol.getByRole('tab', { name: 'Reauthentication' }).click();
  await expect(carol).toHaveURL(/[?&]tab=reauthentication\b/);
  await expect(carol.getByRole('heading', { level: 2, name: 'Reauthentication' })).toBeVisible();
  const require = carol.getByRole('checkbox', { name: 'Require Approval Reauthentication' });
  await expect(require).not.toBeChecked();
  await require.check();
  await saveAndWaitForNewVersion(carol, 'Save reauthentication', 'Reauthentication setting saved.');
  await expect(require).toBeChecked();
  await expectAccessible(carol);
  await screenshot(carol, 'admin-item-reauthentication');

  // What was saved is what the server has: a reload shows it again.
  await carol.reload();
  await expect(carol.getByRole('tab', { name: 'Reauthentication', selected: true })).toBeVisible();
  await expect(carol.getByRole('checkbox', { name: 'Require Approval Reauthentication' })).toBeChecked();
  await expectAccessible(carol);

  await carol.getByRole('tab', { name: /^Approvals/ }).click();
  await expect(carol).toHaveURL(/[?&]tab=approvals\b/);
  const steps = approvalSteps(carol);
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(0)).toContainText('Step 1: Bob Example');
  await expect(steps.nth(1)).toContainText('Step 2: Dave Example');
  await expectAccessible(carol);

  // The list of items says the item requires re-authentication.
  await carol.getByRole('link', { name: '← Access items' }).click();
  await carol.getByRole('searchbox', { name: 'Search' }).fill(name);
  await carol.getByRole('button', { name: 'Search' }).click();
  const row = carol.getByRole('table', { name: 'Access items by name' }).getByRole('row').filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole('cell')).toHaveText([name, 'Role', '—', 'Yes', 'Yes', 'Required', 'OK']);
  await expectAccessible(carol);
  await screenshot(carol, 'admin-items-list');
});

/**
 * Presses `key` on the selected tab until the WebAssembly handles it (then the
 * address says `tab=<expected>`); never presses again once it has worked.
 */
async function pressOnSelectedTab(page: Page, key: 'ArrowRight' | 'ArrowLeft', expected: string) {
  const there = new RegExp(`[?&]tab=${expected}\\b`);
  await expect(async () => {
    if (!there.test(page.url())) {
      await page.getByRole('tab', { selected: true }).focus();
      await page.keyboard.press(key);
    }
    await expect(page).toHaveURL(there, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
}

test('the item tabs are real tabs: arrow keys move to the next tab and the address follows', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const address = await createItem(carol, { name: uniqueName('Keyboard role'), owner: 'Bob Example' });
  await carol.goto(`${address}?tab=reauthentication`);
  await expect(carol.getByRole('tab', { name: 'Reauthentication', selected: true })).toBeVisible();
  // Only the selected tab is in the Tab order.
  await expect(carol.getByRole('tab', { name: 'Reauthentication' })).toHaveAttribute('tabindex', '0');
  await expect(carol.getByRole('tab', { selected: false })).toHaveCount(3);
  for (const tab of await carol.getByRole('tab', { selected: false }).all()) {
    await expect(tab).toHaveAttribute('tabindex', '-1');
  }
  await expectAccessible(carol);

  await pressOnSelectedTab(carol, 'ArrowLeft', 'approvals');
  const cycle = [
    { slug: 'reauthentication', tab: 'Reauthentication', heading: 'Reauthentication' },
    { slug: 'provisioning', tab: 'Provisioning', heading: 'Provisioning' },
    { slug: 'details', tab: 'Details', heading: null }, // ArrowRight on the last tab wraps to the first
    { slug: 'approvals', tab: 'Approvals', heading: 'Approval steps' },
  ];
  for (const step of cycle) {
    await carol.keyboard.press('ArrowRight');
    await expect(carol).toHaveURL(new RegExp(`[?&]tab=${step.slug}\\b`));
    const tab = carol.getByRole('tab', { name: new RegExp(`^${step.tab}`) });
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    await expect(tab).toHaveAttribute('tabindex', '0');
    await expect(tab).toBeFocused();
    if (step.heading) {
      await expect(carol.getByRole('tabpanel').getByRole('heading', { level: 2 })).toHaveText(step.heading);
    } else {
      await expect(carol.getByRole('tabpanel').getByLabel('Name', { exact: true })).toBeVisible();
    }
  }
  await expectAccessible(carol);
});

test('the Details tab opened by its address works in the browser: the arrow key moves to Approvals', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const address = await createItem(carol, { name: uniqueName('Linked role'), owner: 'Bob Example' });
  await carol.goto(`${address}?tab=details`);
  await expect(carol.getByRole('tab', { name: 'Details', selected: true })).toBeVisible();
  await expectAccessible(carol);
  await pressOnSelectedTab(carol, 'ArrowRight', 'approvals');
  await expect(carol.getByRole('tab', { name: /^Approvals/ })).toHaveAttribute('aria-selected', 'true');
  await expect(carol.getByRole('tabpanel').getByRole('heading', { level: 2 })).toHaveText('Approval steps');
});

test('the Approvals tab opened by its address works in the browser: Add step adds a step', async ({ people }) => {
  await people.provision('bob', 'dave');
  const carol = await people.as('carol');
  const address = await createItem(carol, { name: uniqueName('Linked role'), owner: 'Bob Example' });
  await carol.goto(`${address}?tab=approvals`);
  await expect(carol.getByRole('tab', { name: /^Approvals/, selected: true })).toBeVisible();
  await expectAccessible(carol);
  const steps = approvalSteps(carol);
  await expect(steps).toHaveCount(1);
  await addNamedApprover(carol, 'Dave Example');
  await expect(steps.nth(1)).toContainText('Step 2: Dave Example');
});

test('a person without the admin role gets a 403 page at the access items', async ({ people }) => {
  const alice = await people.as('alice');
  const response = await alice.goto('/admin/items');
  expect(response?.status()).toBe(403);
  await expect(alice.getByRole('heading', { name: 'You do not have access to this page' })).toBeVisible();
  await expect(alice.getByRole('link', { name: 'New access item' })).toHaveCount(0);
  await expectAccessible(alice);
  await screenshot(alice, 'admin-items-forbidden');
});
