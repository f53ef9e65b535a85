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

/**
 * The provider reports authentication times in whole seconds, and a signature
 * must be strictly newer than the sign-in before it: wait for the next second,
 * as any person typing their password again does.
 */
export async function nextWholeSecond(page: Page) {
  await page.waitForTimeout(1000 - (Date.now() % 1000) + 20);
}

/** At the provider's form, asked to sign in again: the password proves it is them. */
export async function signInAgainAtProvider(page: Page, login: string) {
  await expect(page.getByText('Please sign in again to confirm it is you.')).toBeVisible();
  await expect(page.getByLabel('User name')).toHaveValue(login);
  await page.getByLabel('Password').fill(PASSWORD);
  await nextWholeSecond(page);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
