// Issue 21, on a phone (390×844): no page scrolls sideways (wide tables scroll
// inside their own region), the menu closes after following a link and on
// Escape, and the skip link moves focus to the content.
import type { Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import {
  createItem,
  decideTask,
  expect,
  requestAccess,
  screenshot,
  setNamedApprovers,
  test,
  uniqueName,
  waitForHydration,
} from './flows';

test.slow();

const PHONE = { width: 390, height: 844 };

/** Opens each of `paths` on `page` (a phone) and checks that the page itself never scrolls sideways. */
async function noSidewaysScroll(page: Page, who: string, paths: string[]) {
  await page.setViewportSize(PHONE);
  for (const path of paths) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `${who} at ${path}: the page is ${width}px wide`).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, `phone-${who}${path.replace(/[/?=&]+/g, '-')}`);
  }
}

test('no page scrolls sideways on a phone', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const name = uniqueName('Phone-sized role with a rather long name to wrap');
  const item = await createItem(carol, { name, kind: 'Role' });
  await setNamedApprovers(carol, ['Bob Example']);
  const alice = await people.as('alice');
  const request = (await requestAccess(alice, name, 'A justification that is long enough to need wrapping on a small screen.')).replace('?created=1', '');
  const bob = await people.as('bob');
  await bob.goto('/inbox');
  await decideTask(bob, name, 'Approve', 'Fine by me.');
  const second = uniqueName('Phone pending');
  await createItem(carol, { name: second, kind: 'Role' });
  await setNamedApprovers(carol, ['Bob Example']);
  await requestAccess(alice, second, 'Pending on a phone.');

  await noSidewaysScroll(alice, 'alice', ['/', '/catalog', '/requests', request, '/access', '/tokens', '/notifications']);
  await expectAccessible(alice);
  await noSidewaysScroll(bob, 'bob', ['/inbox', '/inbox/history']);
  await expectAccessible(bob);
  await noSidewaysScroll(carol, 'carol', [
    '/admin/items',
    '/admin/items/new',
    `${item}?tab=details`,
    `${item}?tab=approvals`,
    `${item}?tab=reauthentication`,
    `${item}?tab=provisioning`,
    '/admin/settings',
    '/admin/provisioning',
    '/admin/directory',
    '/audit',
    '/audit?action=request.created',
  ]);
  await expectAccessible(carol);
});

test('on a phone the menu closes after a link and on Escape, and the skip link moves focus', async ({ people }) => {
  const alice = await people.as('alice');
  await alice.setViewportSize(PHONE);
  await alice.goto('/');
  await waitForHydration(alice);
  const menu = alice.getByRole('button', { name: 'Menu' });
  const nav = alice.getByRole('navigation', { name: 'Primary' });

  await menu.click();
  await expect(nav).toBeVisible();
  await nav.getByRole('link', { name: 'My requests' }).click();
  await expect(alice.getByRole('heading', { level: 1, name: 'My requests' })).toBeVisible();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(nav).toBeHidden();

  await menu.click();
  await expect(nav).toBeVisible();
  await alice.keyboard.press('Escape');
  await expect(nav).toBeHidden();
  await expect(menu).toBeFocused();

  // The first Tab reaches the skip link; following it puts focus on the content.
  await alice.goto('/catalog');
  await waitForHydration(alice);
  await alice.keyboard.press('Tab');
  const skip = alice.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await alice.keyboard.press('Enter');
  await expect(alice.getByRole('main')).toBeFocused();
});
