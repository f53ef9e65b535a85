// Issue 18: a person's Notifications page. Mail about work waiting for them
// cannot be turned off; decisions on their requests and access about to end
// can. The form works before (and without) the WebAssembly.
import { expect, test } from '@playwright/test';
import { expectAccessible, expectServerHtmlAccessible } from './a11y';
import { screenshot } from './flows';
import { signIn } from './session';

test('alice turns off mail about decisions on her requests and it stays off', async ({ page }) => {
  await signIn(page, 'alice');
  await page.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Notifications' }).click();
  await expect(page).toHaveURL(/\/notifications$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  await expect(page.getByTestId('mail-address')).toHaveText('alice@example.com');
  const decisions = page.getByRole('checkbox', { name: 'Decisions on my requests' });
  const ending = page.getByRole('checkbox', { name: 'Access about to end' });
  await expect(decisions).toBeChecked();
  await expect(ending).toBeChecked();
  await expectAccessible(page);
  await screenshot(page, 'notifications-page');

  await expect(async () => {
    await decisions.uncheck();
    await page.getByRole('button', { name: 'Save notification settings' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Notification settings saved.' })).toBeVisible({ timeout: 1000 });
  }).toPass();
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'Decisions on my requests' })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Access about to end' })).toBeChecked();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the Notifications form saves from server-rendered HTML alone', async ({ page }) => {
    await signIn(page, 'dave');
    await page.goto('/notifications');
    await expectServerHtmlAccessible(page);
    await page.getByRole('checkbox', { name: 'Access about to end' }).uncheck();
    await page.getByRole('button', { name: 'Save notification settings' }).click();
    await page.goto('/notifications');
    await expect(page.getByRole('checkbox', { name: 'Access about to end' })).not.toBeChecked();
    await expect(page.getByRole('checkbox', { name: 'Decisions on my requests' })).toBeChecked();
  });
});
