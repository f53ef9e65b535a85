// Issue 16, managers: an item approved by "the beneficiary's manager"; the
// request goes to the requester's manager (demo: bob manages alice and erin);
// My team shows a manager their reports' access; someone without reports gets
// a friendly empty page and no link to it.
import { expectAccessible } from './a11y';
import {
  approvalSteps,
  createItem,
  decideTask,
  expect,
  openInbox,
  requestAccess,
  requestStatus,
  screenshot,
  test,
  uniqueName,
} from './flows';

test.slow();

test('a manager step goes to the requester\'s manager, who then sees the access on My team', async ({ people }) => {
  await people.provision('bob', 'erin');
  const carol = await people.as('carol');
  const name = uniqueName('Expense approvals');
  await createItem(carol, { name, kind: 'Application', description: 'Approved by the requester\'s manager.' });

  // Approvals tab: the one step becomes "The beneficiary's manager".
  await carol.getByRole('tab', { name: /^Approvals/ }).click();
  await expect(carol.getByRole('heading', { level: 2, name: 'Approval steps' })).toBeVisible();
  const steps = approvalSteps(carol);
  await expect(async () => {
    await carol.getByRole('button', { name: 'Remove step 1' }).click();
    await expect(steps).toHaveCount(0, { timeout: 500 });
  }).toPass();
  await carol.getByLabel('Approver', { exact: true }).selectOption({ label: "The beneficiary's manager" });
  await carol.getByRole('button', { name: 'Add step' }).click();
  await expect(steps).toHaveCount(1);
  await expect(steps.first()).toContainText("Step 1: The beneficiary's manager");
  await carol.getByRole('button', { name: 'Save approval steps' }).click();
  await expect(carol.getByRole('status').filter({ hasText: 'Approval steps saved.' })).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'team-approvals-tab-manager-step');

  // alice asks; her manager, bob, is the step's approver.
  const alice = await people.as('alice');
  await requestAccess(alice, name, 'I file the team\'s travel expenses.');
  await expect(requestStatus(alice)).toHaveText('Pending');
  await expect(alice.getByRole('main').getByRole('listitem').first()).toContainText('Step 1 of 1: Bob Example');

  const bob = await people.as('bob');
  await openInbox(bob);
  await decideTask(bob, name, 'Approve', 'Yes, she files them.');

  // bob's My team: alice with the access she now holds, erin too.
  const teamLink = bob.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'My team' });
  await teamLink.click();
  await expect(bob).toHaveURL(/\/team$/);
  await expect(bob.getByRole('heading', { level: 1, name: 'My team' })).toBeVisible();
  const aliceSection = bob.getByRole('region', { name: 'Alice Example' });
  const held = aliceSection.getByRole('table', { name: 'Access Alice Example holds' });
  await expect(held.getByRole('row').filter({ hasText: name })).toHaveCount(1);
  await expect(held.getByRole('row').filter({ hasText: name }).getByRole('cell').nth(3)).toHaveText('no end date');
  await expect(bob.getByRole('region', { name: 'Erin Example' })).toBeVisible();
  await expectAccessible(bob);
  await screenshot(bob, 'team-manager');

  // alice has no reports: no link, and the page says what it is for.
  await alice.goto('/');
  await expect(alice.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'Catalog' })).toBeVisible();
  await expect(alice.getByRole('navigation', { name: 'Primary' }).getByRole('link', { name: 'My team' })).toHaveCount(0);
  await alice.goto('/team');
  await expect(alice.getByText("Nobody reports to you in your organisation's directory.")).toBeVisible();
  await expectAccessible(alice);
  await screenshot(alice, 'team-empty');
});
