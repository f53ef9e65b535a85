// The headline in the browser: carol proves the provider re-authenticates and turns
// re-authenticated approvals on; bob's approval of a sensitive item sends him to
// sign in again at the provider, and completes when he comes back.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { signIn, signInAgainAtProvider as signInAgain } from './session';

// Three people sign in, two of them again at the provider: more than the default 30 s.
test.slow();

const ITEM = 'Payroll (Workday)'; // seeded by `countersign demo-seed`: requires re-authentication

async function as(browser: Browser, login: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, login);
  return page;
}

/** At the provider's form, asked to sign in again (checked for accessibility too). */
async function signInAgainAtProvider(page: Page, login: string) {
  await expect(page.getByText('Please sign in again to confirm it is you.')).toBeVisible();
  await expectAccessible(page);
  await signInAgain(page, login);
}

test('an approval of sensitive access is e-signed by signing in again at the provider', async ({ browser }) => {
  // carol: the live provider test, then the organisation switch.
  const carol = await as(browser, 'carol');
  await carol.goto('/admin/settings');
  await expect(carol.getByRole('heading', { name: 'Access-request settings' })).toBeVisible();
  await expectAccessible(carol);
  await expect(async () => {
    await carol.getByRole('button', { name: 'Test re-authentication' }).click();
    await expect(carol.getByText('Please sign in again to confirm it is you.')).toBeVisible({ timeout: 2000 });
  }).toPass();
  await signInAgainAtProvider(carol, 'carol');
  await expect(carol.getByText('Re-authentication test passed')).toBeVisible();
  await carol.getByLabel('Re-authenticated approvals').check();
  await carol.getByRole('button', { name: 'Save settings' }).click();
  await expect(carol.getByText('Settings saved.')).toBeVisible();
  await carol.screenshot({ path: 'test-results/screens/settings.png', fullPage: true });

  // alice asks for payroll access.
  const alice = await as(browser, 'alice');
  await alice.goto('/catalog?q=payroll');
  await alice.getByRole('link', { name: ITEM }).click();
  await expect(alice.getByRole('heading', { name: ITEM })).toBeVisible();
  await alice.getByLabel('Business justification').fill('I run the November payroll.');
  await alice.getByRole('button', { name: 'Request access' }).click();
  await expect(alice.getByText('Your request is submitted.')).toBeVisible();
  const requestUrl = alice.url();

  // bob approves step 1: the provider asks him to sign in again first.
  const bob = await as(browser, 'bob');
  await bob.goto('/inbox');
  const task = bob.getByRole('listitem').filter({ has: bob.getByRole('heading', { name: `Access to ${ITEM}` }) });
  await expect(task.getByText('Signature required')).toBeVisible();
  await expectAccessible(bob);
  await bob.screenshot({ path: 'test-results/screens/inbox-signature-required.png', fullPage: true });
  await task.getByLabel('Comment').fill('Confirmed with HR.');
  await expect(async () => {
    await task.getByRole('button', { name: 'Approve' }).click();
    await expect(bob.getByText('Please sign in again to confirm it is you.')).toBeVisible({ timeout: 2000 });
  }).toPass();
  await bob.screenshot({ path: 'test-results/screens/provider-sign-in-again.png', fullPage: true });
  await signInAgainAtProvider(bob, 'bob');
  await expect(bob.getByText('Signed and approved: 1 task.')).toBeVisible();
  await expect(bob.getByRole('heading', { name: `Access to ${ITEM}` })).toHaveCount(0);
  await expectAccessible(bob);
  await bob.screenshot({ path: 'test-results/screens/inbox-signed.png', fullPage: true });

  // The request shows the e-signature.
  await alice.goto(requestUrl.replace('?created=1', ''));
  await expect(alice.getByText(/Approved by Bob Example — re-authenticated at \d\d:\d\d:\d\d UTC/)).toBeVisible();
  await expectAccessible(alice);
  await alice.screenshot({ path: 'test-results/screens/request-signed.png', fullPage: true });

  // erin, the auditor, finds the e-signature and its evidence in the audit trail.
  const erin = await as(browser, 'erin');
  await erin.goto('/audit?action=approval.approved');
  await erin.getByRole('row', { name: /approval\.approved.*Yes/ }).first().getByRole('link').click();
  await expect(erin.getByRole('heading', { name: 'Electronic signature' })).toBeVisible();
  await expect(erin.getByText('Bob Example').first()).toBeVisible();
  await expect(erin.getByText(/"auth_time": \d+/).first()).toBeVisible();
  await expectAccessible(erin);
  await erin.screenshot({ path: 'test-results/screens/audit-e-signature.png', fullPage: true });
});

test('a wrong password at the provider, then cancelling, approves nothing and says why', async ({ browser }) => {
  const alice = await as(browser, 'alice');
  await alice.goto('/catalog?q=okta');
  await alice.getByRole('link', { name: 'Okta: Super Administrator' }).click();
  await alice.getByLabel('Business justification').fill('Identity team on-call.');
  await alice.getByRole('button', { name: 'Request access' }).click();
  await expect(alice.getByText('Your request is submitted.')).toBeVisible();

  const bob = await as(browser, 'bob');
  await bob.goto('/inbox');
  const task = bob.getByRole('listitem').filter({ has: bob.getByRole('heading', { name: 'Access to Okta: Super Administrator' }) });
  await expect(async () => {
    await task.getByRole('button', { name: 'Approve' }).click();
    await expect(bob.getByRole('button', { name: 'Cancel' })).toBeVisible({ timeout: 2000 });
  }).toPass();
  await bob.getByLabel('Password').fill('not-the-password');
  await bob.getByRole('button', { name: 'Sign in' }).click();
  await expect(bob.getByRole('alert')).toHaveText('Wrong user name or password.');
  await bob.getByRole('button', { name: 'Cancel' }).click();
  await expect(bob.getByText('You cancelled signing in again, so nothing was signed or changed.')).toBeVisible();
  await expect(bob.getByRole('heading', { name: 'Access to Okta: Super Administrator' })).toBeVisible();
  await expectAccessible(bob);
});
