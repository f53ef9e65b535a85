import { test, expect } from '@playwright/test';
import { expectAccessible, expectServerHtmlAccessible } from './a11y';
import { signIn } from './session';

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('sign-in and the home page work from server-rendered HTML alone', async ({ page }) => {
    await signIn(page, 'alice');
    await expect(page).toHaveTitle('Home · Countersign');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome to Countersign');
    await expect(page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Catalog' })).toBeAttached();
    await expect(page.getByTestId('signed-in-name')).toHaveText('Alice Example');
    await expectServerHtmlAccessible(page);
  });
});

test('the page hydrates: the menu button works once the WebAssembly runs', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  await signIn(page, 'alice');
  const menu = page.getByRole('button', { name: 'Menu' });
  const nav = page.getByRole('navigation', { name: 'Primary' });
  await expect(nav).toBeHidden();
  // A click before hydration does nothing; retry until the WebAssembly has taken over.
  await expect(async () => {
    await menu.click();
    await expect(menu).toHaveAttribute('aria-expanded', 'true', { timeout: 500 });
  }).toPass();
  await expect(nav).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Inbox' })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: 'test-results/screens/home-mobile-menu.png', fullPage: true });
});

test('an unknown address shows the 404 page', async ({ page }) => {
  await signIn(page, 'alice');
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await expect(page).toHaveTitle('Page not found · Countersign');
  await expectAccessible(page);
});
