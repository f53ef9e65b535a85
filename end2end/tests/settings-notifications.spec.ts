// Issue 18, the administrator's side: the settings page's reminders and
// escalation form and the organisation's chat webhook, found by their labels;
// an item's own chat webhook on its Approvals tab. Each test puts back what it
// changed.
import { expectAccessible } from './a11y';
import { createItem, expect, screenshot, test, uniqueName, waitForHydration } from './flows';

test('an administrator sets reminders and escalation, and a bad value is refused with its reason', async ({ people }) => {
  await people.provision('bob');
  const carol = await people.as('carol');
  await carol.goto('/admin/settings');
  await waitForHydration(carol);
  const form = carol.getByRole('region', { name: 'Reminders and escalation' });
  await expect(form).toBeVisible();

  // Escalation without a fallback is refused, and nothing is saved.
  await form.getByLabel('Days between reminders').fill('2');
  await form.getByLabel('Most reminders per task').fill('3');
  await form.getByLabel('Days until escalation').fill('7');
  await form.getByLabel('Fallback group').fill('');
  await form.getByRole('button', { name: 'Save reminders and escalation' }).click();
  await expect(form.locator('#fallbackApproverRef-error')).toContainText(/fallback/i);

  await form.getByLabel('Fallback group').fill('countersign-approvers');
  await form.getByRole('button', { name: 'Save reminders and escalation' }).click();
  await expect(form.getByRole('status').filter({ hasText: 'Reminders and escalation saved.' })).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'settings-reminders-escalation');

  await carol.reload();
  const saved = carol.getByRole('region', { name: 'Reminders and escalation' });
  await expect(saved.getByLabel('Days until escalation')).toHaveValue('7');
  await expect(saved.getByLabel('Fallback group')).toHaveValue('countersign-approvers');

  // Put it back: everything off.
  await waitForHydration(carol);
  for (const label of [
    'Days between reminders',
    'Most reminders per task',
    'Days until escalation',
  ]) {
    await saved.getByLabel(label).fill('0');
  }
  await saved.getByLabel('Fallback group').fill('');
  await saved.getByRole('button', { name: 'Save reminders and escalation' }).click();
  await expect(saved.getByRole('status').filter({ hasText: 'Reminders and escalation saved.' })).toBeVisible();
});

test('an administrator points the organisation and an item at a chat, sees only the host, and removes them', async ({ people }) => {
  const carol = await people.as('carol');
  await carol.goto('/admin/settings');
  await waitForHydration(carol);
  const chat = carol.getByRole('region', { name: 'Chat notifications' });
  await expect(chat).toContainText('No chat webhook');
  // Nothing listens on port 9: saving does not post, the test message says it could not reach it.
  await chat.getByLabel('Incoming-webhook URL').fill('http://127.0.0.1:9/services/T000/B000/secretpart');
  await chat.getByLabel('Message format').selectOption({ label: 'Microsoft Teams (Adaptive Card)' });
  await chat.getByRole('button', { name: 'Save chat webhook' }).click();
  await expect(chat.getByRole('status').filter({ hasText: 'Chat webhook saved.' })).toBeVisible();
  await carol.reload();
  await waitForHydration(carol);
  const saved = carol.getByRole('region', { name: 'Chat notifications' });
  await expect(saved).toContainText('New tasks are posted to 127.0.0.1.');
  await expect(saved.getByLabel('Incoming-webhook URL')).toHaveValue('');
  expect(await carol.content()).not.toContain('secretpart');
  await expect(saved.getByLabel('Message format')).toHaveValue('teams');
  await saved.getByRole('button', { name: 'Send a test message' }).click();
  await expect(saved.getByRole('alert').filter({ hasText: 'could not be reached' })).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'settings-chat');

  await saved.getByRole('checkbox', { name: 'Remove the webhook (stop posting new tasks)' }).check();
  await saved.getByRole('button', { name: 'Save chat webhook' }).click();
  await expect(carol.getByRole('region', { name: 'Chat notifications' })).toContainText('No chat webhook');

  // An item's own channel, on its Approvals tab.
  const item = await createItem(carol, { name: uniqueName('Chatty item'), kind: 'Role' });
  await carol.goto(`${item}?tab=approvals`);
  await waitForHydration(carol);
  const itemChat = carol.getByRole('region', { name: 'Chat notifications' });
  await itemChat.getByLabel('Incoming-webhook URL').fill('ftp://chat.example.com/hook');
  await itemChat.getByRole('button', { name: 'Save chat webhook' }).click();
  await expect(itemChat.getByText('must be an http(s) URL')).toBeVisible();
  await itemChat.getByLabel('Incoming-webhook URL').fill('https://hooks.example.com/services/item');
  await itemChat.getByRole('button', { name: 'Save chat webhook' }).click();
  await expect(itemChat).toContainText('New tasks are posted to hooks.example.com.');
  await screenshot(carol, 'item-approvals-chat');
});
