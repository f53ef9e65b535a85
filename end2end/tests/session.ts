// Signing in as a person does: at the real local provider's HTML form.
import { expect, type Page } from '@playwright/test';

export const PASSWORD = 'countersign-demo';

export async function signIn(page: Page, login: string, path = '/') {
  await page.goto(path);
  await expect(page.getByRole('heading', { name: /Sign in to continue/ })).toBeVisible();
  await page.getByLabel('User name').fill(login);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-name')).toBeVisible();
}
