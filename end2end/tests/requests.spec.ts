// Issue "Requester": find access in the catalog, ask for it with a reason, follow
// the request, and cancel it while it is still pending.
import { expectAccessible } from './a11y';
import { createItem, expect, openCatalogItem, requestAccess, requestStatus, screenshot, test, uniqueName } from './flows';

// Several people sign in at the provider in turn: more than the default 30 s.
test.slow();

test('a requester finds an item in the catalog, requests it, follows it and cancels it', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const name = uniqueName('Expense reports');
  await createItem(carol, {
    name,
    kind: 'Application',
    owner: 'Bob Example',
    description: 'Submit and review expense reports.',
  });

  const alice = await people.as('alice');
  const justification = 'I file the travel expenses of the sales team.';
  const requestPage = await requestAccess(alice, name, justification, {
    catalog: 'requests-catalog',
    item: 'requests-catalog-item',
  });

  // The request page: pending, with the reason and the owner as the one step.
  await expect(requestStatus(alice)).toHaveText('Pending');
  await expect(alice.getByRole('definition').filter({ hasText: justification })).toBeVisible();
  await expect(alice.getByRole('heading', { level: 2, name: 'Approval steps' })).toBeVisible();
  const steps = alice.getByRole('main').getByRole('listitem');
  await expect(steps).toHaveCount(1);
  await expect(steps.first()).toContainText('Step 1 of 1: Bob Example');
  await expect(steps.first()).toContainText('Waiting');
  await expectAccessible(alice);
  await screenshot(alice, 'requests-request-pending');

  // The catalog now says it is requested, and the item page points to My requests.
  await openCatalogItem(alice, name);
  await expect(alice.getByText('Your request is pending.')).toBeVisible();
  await expect(alice.getByRole('button', { name: 'Request access' })).toHaveCount(0);

  await alice.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'My requests' }).click();
  await expect(alice.getByRole('heading', { level: 1, name: 'My requests' })).toBeVisible();
  const row = alice.getByRole('table', { name: 'Your requests, newest first' }).getByRole('row').filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole('cell').nth(1)).toHaveText('Access');
  await expect(row.getByRole('cell').nth(2)).toHaveText('Alice Example');
  await expect(row.getByRole('cell').nth(4)).toHaveText('Pending');
  await expectAccessible(alice);
  await screenshot(alice, 'requests-my-requests-pending');

  // Cancelling asks first, on the request's page; "Keep the request" changes nothing.
  await row.getByRole('button', { name: `Cancel request for ${name}` }).click();
  const confirm = alice.getByRole('region', { name: `Cancel your request for ${name}?` });
  await expect(confirm).toBeVisible();
  await expectAccessible(alice);
  await screenshot(alice, 'requests-cancel-confirm');
  await confirm.getByRole('link', { name: 'Keep the request' }).click();
  await expect(requestStatus(alice)).toHaveText('Pending');
  await expect(alice.getByRole('region', { name: /^Cancel your request/ })).toHaveCount(0);
  await alice.goBack();
  await alice.getByRole('button', { name: 'Yes, cancel the request' }).click();
  await expect(alice.getByRole('status').filter({ hasText: 'Request cancelled: its approvers no longer see it.' })).toBeVisible();
  await expect(requestStatus(alice)).toHaveText('Cancelled');

  await alice.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'My requests' }).click();
  await expect(row.getByRole('cell').nth(4)).toHaveText('Cancelled');
  await expect(alice.getByRole('button', { name: `Cancel request for ${name}` })).toHaveCount(0);
  await expectAccessible(alice);
  await screenshot(alice, 'requests-my-requests-cancelled');

  // The request page says so too, and the item can be requested again.
  await row.getByRole('link', { name }).click();
  await expect(alice).toHaveURL(new RegExp(`${requestPage}$`));
  await expect(requestStatus(alice)).toHaveText('Cancelled');
  await expect(alice.getByRole('main').getByRole('listitem').first()).toContainText('Cancelled');
  await expectAccessible(alice);
  await openCatalogItem(alice, name);
  await expect(alice.getByRole('button', { name: 'Request access' })).toBeVisible();
});

test('a request needs a business justification', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  const name = uniqueName('Shared drive');
  await createItem(carol, { name, kind: 'Entitlement', owner: 'Bob Example' });

  const alice = await people.as('alice');
  await openCatalogItem(alice, name);
  const justification = alice.getByLabel('Business justification');
  await expect(justification).toHaveAttribute('required', '');
  // Only spaces: the browser lets it through, the server does not.
  await justification.fill('   ');
  await alice.getByRole('button', { name: 'Request access' }).click();
  await expect(alice.getByText('is required')).toBeVisible();
  await expect(alice).toHaveURL(/\/catalog\/[^/?]+$/);
  await expectAccessible(alice);
  await screenshot(alice, 'requests-justification-required');
});
