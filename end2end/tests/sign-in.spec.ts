import { test, expect } from '@playwright/test';
import { expectAccessible } from './a11y';
import { signIn } from './session';

const people = [
  { login: 'alice', name: 'Alice Example', roles: '(requester)' },
  { login: 'bob', name: 'Bob Example', roles: '(requester, approver)' },
  { login: 'dave', name: 'Dave Example', roles: '(requester, approver)' },
  { login: 'carol', name: 'Carol Example', roles: '(requester, admin)' },
  { login: 'erin', name: 'Erin Example', roles: '(requester, auditor)' },
];

for (const person of people) {
  test(`${person.login} signs in at the provider and sees their name and roles`, async ({ page }) => {
    await signIn(page, person.login);
    await expect(page.getByTestId('signed-in-name')).toHaveText(person.name);
    await expect(page.getByTestId('signed-in-roles')).toHaveText(person.roles);
    await expectAccessible(page);
    if (person.login === 'carol') {
      await page.screenshot({ path: 'test-results/screens/home-signed-in.png', fullPage: true });
    }
  });
}

test('the provider login page passes the accessibility check', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByLabel('User name')).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: 'test-results/screens/provider-login.png' });
});

test('signing out ends the session and says so', async ({ page }) => {
  await signIn(page, 'bob');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'You are signed out' })).toBeVisible();
  await expectAccessible(page);
  await page.goto('/');
  await expect(page.getByLabel('User name')).toBeVisible();
});

test('a person without the admin role gets a clear 403 page', async ({ page }) => {
  await signIn(page, 'alice');
  const response = await page.goto('/admin');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'You do not have access to this page' })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: 'test-results/screens/forbidden.png' });
});
