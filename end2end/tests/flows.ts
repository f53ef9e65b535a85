// Steps several browser tests share: people signed in side by side (one browser
// context each), creating an access item as an administrator does, setting its
// approval steps, and requesting access as a requester does. Everything goes
// through the pages, found by role, label or name, like a person would.
import { test as base, expect, type Browser, type Locator, type Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { signIn, signInAgainAtProvider } from './session';

export { expect };

export type Login = 'alice' | 'bob' | 'carol' | 'dave' | 'erin';

export const DISPLAY_NAME: Record<Login, string> = {
  alice: 'Alice Example',
  bob: 'Bob Example',
  carol: 'Carol Example',
  dave: 'Dave Example',
  erin: 'Erin Example',
};

/** Opens a fresh browser context (its own cookies) and signs `login` in there. */
async function signedInPage(browser: Browser, baseURL: string | undefined, login: Login): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page, login);
  return page;
}

export type People = {
  /** A page signed in as `login`, in a browser context of its own; closed after the test. */
  as(login: Login): Promise<Page>;
  /**
   * Signs these people in once, so that the app knows them (people exist only
   * after their first sign-in) and an admin can pick them as owner or approver.
   */
  provision(...logins: Login[]): Promise<void>;
};

/** `test` with a `people` fixture: several people signed in side by side. */
export const test = base.extend<{ people: People }>({
  people: async ({ browser, baseURL }, use) => {
    const pages: Page[] = [];
    // A panic in the WebAssembly (a failed hydration, say) leaves a page that looks
    // fine but whose buttons do nothing: it fails the test, with its message.
    const crashes: string[] = [];
    await use({
      async as(login) {
        const page = await signedInPage(browser, baseURL, login);
        page.on('pageerror', (error) => crashes.push(`${login} at ${page.url()}: ${error.message}`));
        page.on('console', (message) => {
          if (message.type() === 'error' && /panicked|hydration error/i.test(message.text())) {
            crashes.push(`${login} at ${page.url()}: ${message.text().split('\n')[0]}`);
          }
        });
        pages.push(page);
        return page;
      },
      async provision(...logins) {
        for (const login of logins) {
          const page = await signedInPage(browser, baseURL, login);
          await page.context().close();
        }
      },
    });
    for (const page of pages) await page.context().close();
    expect(crashes, 'errors in the browser console').toEqual([]);
  },
});

/**
 * Waits until the WebAssembly has taken over the page (the app marks
 * `<body data-hydrated>` then): an action form submitted before that posts to its
 * server function directly, and a client-side button does nothing.
 */
export async function waitForHydration(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', '');
}

/**
 * On a phone 390 pixels wide: shows `page` there, checks that nothing makes the
 * page itself scroll sideways (wide tables scroll inside their own region) and
 * axe's rules, takes the screenshot `name`, and goes back to the desktop size.
 */
export async function checkOnPhone(page: Page, name: string) {
  const desktop = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await expectAccessible(page);
  await screenshot(page, name);
  if (desktop) await page.setViewportSize(desktop);
}

/** A name no other test run has used: item names are unique per kind. */
export function uniqueName(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

export function screenshot(page: Page, name: string) {
  return page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

export type NewItem = {
  name: string;
  kind?: 'Application' | 'Role' | 'Entitlement' | 'Access profile';
  description?: string;
  /** The owner's display name, e.g. "Bob Example"; none when left out. */
  owner?: string;
  requestable?: boolean;
  enabled?: boolean;
};

/**
 * In the people picker labelled `label` (within `scope`), once the WebAssembly
 * runs it (it is a combobox then): types `typed`, a part of the person's name,
 * and chooses `name` among the matches. The picker then says who is chosen.
 */
export async function pickPerson(scope: Page | Locator, label: string, typed: string, name: string) {
  const box = scope.getByRole('combobox', { name: label, exact: true });
  await expect(box).toBeVisible();
  await box.fill(typed);
  await expect(box).toHaveAttribute('aria-expanded', 'true');
  await scope.getByRole('option', { name: new RegExp(`^${name}\\b`) }).click();
  await expect(box).toHaveAttribute('aria-expanded', 'false');
  await expect(scope.getByText(`${label}: ${name}`)).toBeVisible();
}

/** On the Approvals tab: adds a step naming `name`, chosen in the people picker. */
export async function addNamedApprover(page: Page, name: string) {
  const steps = approvalSteps(page);
  const before = await steps.count();
  await page.getByLabel('Approver', { exact: true }).selectOption({ label: 'A named person' });
  await pickPerson(page, 'Named approver', name.slice(0, 3).toLowerCase(), name);
  await page.getByRole('button', { name: 'Add step' }).click();
  await expect(steps).toHaveCount(before + 1);
}

/**
 * As an administrator on `page`: Admin → New access item → Create. Ends on the
 * new item's Details tab; returns the item's address (`/admin/items/{id}`).
 */
export async function createItem(page: Page, item: NewItem): Promise<string> {
  await page.goto('/admin/items');
  await expect(page.getByRole('heading', { level: 1, name: 'Access items' })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('link', { name: 'New access item' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New access item' })).toBeVisible();
  await expectAccessible(page);

  await page.getByLabel('Kind', { exact: true }).selectOption({ label: item.kind ?? 'Role' });
  await page.getByLabel('Name', { exact: true }).fill(item.name);
  await page.getByLabel('Description').fill(item.description ?? `Created by a browser test: ${item.name}.`);
  if (item.owner) await pickPerson(page, 'Owner', item.owner.split(' ')[0].slice(0, 3), item.owner);
  await page.getByLabel('Requestable (shown in the catalog)').setChecked(item.requestable ?? true);
  await page.getByLabel('Enabled', { exact: true }).setChecked(item.enabled ?? true);
  await page.getByRole('button', { name: 'Create' }).click();

  await expect(page).toHaveURL(/\/admin\/items\/[^/?]+\?tab=details&saved=1$/);
  await expect(page.getByRole('status').filter({ hasText: 'Access item created.' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: item.name })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Details', selected: true })).toBeVisible();
  return new URL(page.url()).pathname;
}

/** The steps shown on the item's Approvals tab, in order ("Step 1: Bob Example", …). */
export function approvalSteps(page: Page) {
  return page.getByRole('tabpanel').getByRole('listitem');
}

/**
 * On the item's edit page: the Approvals tab, the existing steps removed, one
 * "A named person" step per name in order, saved.
 */
export async function setNamedApprovers(page: Page, names: string[]) {
  await page.getByRole('tab', { name: /^Approvals/ }).click();
  await expect(page).toHaveURL(/[?&]tab=approvals\b/);
  await expect(page.getByRole('heading', { level: 2, name: 'Approval steps' })).toBeVisible();
  const steps = approvalSteps(page);
  const removeFirst = page.getByRole('button', { name: 'Remove step 1' });
  // The buttons are client-side only: the first click that takes effect shows
  // that the WebAssembly has taken over the page (a new item has one step).
  const before = await steps.count();
  if (before > 0) {
    await expect(async () => {
      await removeFirst.click();
      await expect(steps).toHaveCount(before - 1, { timeout: 500 });
    }).toPass();
    while ((await steps.count()) > 0) await removeFirst.click();
  }
  await expect(steps).toHaveCount(0);

  for (const [i, name] of names.entries()) {
    await addNamedApprover(page, name);
    await expect(steps.nth(i)).toContainText(`Step ${i + 1}: ${name}`);
  }
  await expect(steps).toHaveCount(names.length);

  await saveAndWaitForNewVersion(page, 'Save approval steps', 'Approval steps saved.');
}

/**
 * Submits an edit-page form and waits for its confirmation and for the page to
 * show the item's new version (so the next form posts the current version).
 */
export async function saveAndWaitForNewVersion(page: Page, button: string, confirmation: string) {
  const version = page.getByText(/^Version \d+/);
  const before = await version.textContent();
  await page.getByRole('button', { name: button }).click();
  await expect(page.getByRole('status').filter({ hasText: confirmation })).toBeVisible();
  await expect(version).not.toHaveText(before ?? '');
}

/**
 * As a requester on `page`: Catalog → search for the item → its page → Request
 * access. Ends on the new request's page; returns its address (`/requests/{id}`).
 */
export async function requestAccess(
  page: Page,
  itemName: string,
  justification: string,
  screens?: { catalog: string; item: string },
): Promise<string> {
  await openCatalogItem(page, itemName, screens);
  await page.getByLabel('Business justification').fill(justification);
  await page.getByRole('button', { name: 'Request access' }).click();
  await expect(page).toHaveURL(/\/requests\/[^/?]+\?created=1$/);
  await expect(
    page.getByRole('status').filter({ hasText: 'Your request is submitted. Its approvers see it in their inbox.' }),
  ).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: `Access request: ${itemName}` })).toBeVisible();
  return new URL(page.url()).pathname;
}

/**
 * Catalog → search by name → the item's page. `screens` names the screenshots
 * of the search result and of the item page, when wanted.
 */
export async function openCatalogItem(page: Page, itemName: string, screens?: { catalog: string; item: string }) {
  await page.goto('/catalog');
  await expect(page.getByRole('heading', { level: 1, name: 'Catalog' })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('searchbox', { name: 'Search' }).fill(itemName);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/catalog\?q=/);
  await expect(page.getByRole('searchbox', { name: 'Search' })).toHaveValue(itemName);
  // The header row and the item's row: the search found exactly it.
  await expect(page.getByRole('table', { name: 'Requestable access' }).getByRole('row')).toHaveCount(2);
  await expectAccessible(page);
  if (screens) await screenshot(page, screens.catalog);
  await page.getByRole('link', { name: itemName, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: itemName })).toBeVisible();
  await expectAccessible(page);
  if (screens) await screenshot(page, screens.item);
}

/**
 * A request page's status: the first fact of its facts list (Status, Requested
 * by, For, …) is the status badge.
 */
export function requestStatus(page: Page) {
  return page.getByRole('definition').first();
}

/**
 * Opens the inbox from the navigation. The Inbox link carries the number of
 * waiting tasks, and the inbox lists exactly that many; returns the number.
 */
export async function openInbox(page: Page): Promise<number> {
  await page.goto('/');
  const link = page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: /^Inbox/ });
  await expect(link).toHaveAccessibleName(/^Inbox\s*\d+ waiting$/);
  const waiting = Number((await link.textContent())?.match(/\d+/)?.[0]);
  await link.click();
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Inbox' })).toBeVisible();
  await expect(inboxTasks(page)).toHaveCount(Math.min(waiting, 20));
  await expectAccessible(page);
  return waiting;
}

/** The inbox's task cards: list items named by their heading ("Access to …"). */
export function inboxTasks(page: Page) {
  return page.getByRole('main').getByRole('listitem').filter({ has: page.getByRole('heading', { level: 2 }) });
}

/** The inbox task about `itemName` ("Access to <item>"). */
export function inboxTask(page: Page, itemName: string, what = 'Access to') {
  return page
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { level: 2, name: `${what} ${itemName}`, exact: true }) });
}

/**
 * Waits until the inbox runs its WebAssembly (its forms work before, as plain
 * posts; the tests that decide with JavaScript decide with it).
 */
export async function waitForInboxHydration(page: Page, itemName: string) {
  await expect(inboxTask(page, itemName)).toHaveCount(1);
  await waitForHydration(page);
}

/** In the inbox: decides the task about `itemName`, with the comment typed into its card. */
export async function decideTask(page: Page, itemName: string, decision: 'Approve' | 'Deny', comment = '') {
  await waitForInboxHydration(page, itemName);
  const task = inboxTask(page, itemName);
  await task.getByLabel('Comment', { exact: true }).fill(comment);
  await task.getByRole('button', { name: decision, exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Done: 1 task decided.' })).toBeVisible();
  await expect(task).toHaveCount(0);
}

/** As carol: the organisation's re-authenticated approvals on (after the provider test, when not yet). */
export async function reauthenticationOn(carol: Page) {
  await carol.goto('/admin/settings');
  await expect(carol.getByRole('heading', { name: 'Access-request settings' })).toBeVisible();
  await waitForHydration(carol);
  const on = carol.getByLabel('Re-authenticated approvals');
  if (await on.isChecked()) return;
  await carol.getByRole('button', { name: 'Test re-authentication' }).click();
  await signInAgainAtProvider(carol, 'carol');
  await expect(carol.getByText('Re-authentication test passed')).toBeVisible();
  await waitForHydration(carol);
  await on.check();
  await carol.getByRole('button', { name: 'Save settings' }).click();
  await expect(carol.getByText('Settings saved.')).toBeVisible();
}
