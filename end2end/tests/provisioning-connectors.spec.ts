// Issue 17, the LDAP and SCIM connectors on an item's Provisioning tab: choosing
// one shows only its fields; "Test connection" says why a target cannot be
// reached before anything is saved; the credentials are write-only inputs.
// (The connectors themselves run against a real slapd and scim2-server in the
// Rust integration tests.)
import { expectAccessible } from './a11y';
import { checkOnPhone, createItem, expect, screenshot, test, uniqueName, waitForHydration } from './flows';

test.slow();

test('the LDAP and SCIM targets show their own fields and test the connection before saving', async ({ people }) => {
  const carol = await people.as('carol');
  const name = uniqueName('Finance share');
  await createItem(carol, { name, kind: 'Entitlement', owner: 'Carol Example' });
  await carol.getByRole('tab', { name: 'Provisioning' }).click();
  await expect(carol.getByRole('heading', { level: 2, name: 'Provisioning' })).toBeVisible();
  // Until the WebAssembly runs, every connector's fields are shown (the form works without it).
  await waitForHydration(carol);

  await carol.getByRole('radio', { name: 'LDAP / Active Directory group' }).check();
  await expect(carol.getByLabel('LDAP server URL')).toBeVisible();
  await expect(carol.getByLabel('Webhook URL')).toBeHidden();
  await expect(carol.getByLabel('SCIM base URL')).toBeHidden();
  await expect(carol.getByLabel("Fulfillers' group")).toBeHidden();
  await expect(carol.getByLabel('Bind password')).toHaveAttribute('type', 'password');
  await carol.getByLabel('LDAP server URL').fill('ldap://127.0.0.1:9');
  await carol.getByLabel('Bind DN').fill('cn=countersign,ou=services,dc=example,dc=org');
  await carol.getByLabel('Bind password').fill('not-a-real-password');
  await carol.getByLabel('Group DN').fill('cn=finance,ou=groups,dc=example,dc=org');
  await carol.getByLabel('People search base').fill('ou=people,dc=example,dc=org');
  await expect(carol.getByLabel('Person filter')).toHaveValue('(uid={userName})');
  await carol.getByLabel("Allow plain LDAP to this machine's loopback address (tests only)").check();
  // Nothing listens on port 9.
  const refused = carol.getByRole('alert').filter({ hasText: 'The connection test failed' });
  await carol.getByRole('button', { name: 'Test connection' }).click();
  await expect(refused).toContainText('connection refused');
  await expectAccessible(carol);
  await screenshot(carol, 'provisioning-ldap-test-refused');
  await checkOnPhone(carol, 'provisioning-ldap-test-refused-phone');

  await carol.getByRole('radio', { name: 'SCIM 2.0 application group' }).check();
  await expect(carol.getByLabel('SCIM base URL')).toBeVisible();
  await expect(carol.getByLabel('LDAP server URL')).toBeHidden();
  await expect(carol.getByLabel('Token or client secret')).toHaveAttribute('type', 'password');
  await carol.getByLabel('SCIM base URL').fill('http://scim.example.com/v2');
  await carol.getByLabel('Token or client secret').fill('token-0123456789');
  await carol.getByLabel('SCIM group', { exact: true }).fill('Finance');
  await carol.getByRole('button', { name: 'Save provisioning' }).click();
  // Plain http to another host is refused, next to the field.
  await expect(carol.getByText('must use https (plain http only to this machine\'s loopback address)')).toBeVisible();
  await expectAccessible(carol);
  await screenshot(carol, 'provisioning-scim-refused');
  await checkOnPhone(carol, 'provisioning-scim-refused-phone');
  // The refused save keeps what was typed and the chosen connector.
  await expect(carol.getByRole('radio', { name: 'SCIM 2.0 application group' })).toBeChecked();
  await expect(carol.getByLabel('SCIM base URL')).toHaveValue('http://scim.example.com/v2');
  await expect(carol.getByLabel('SCIM group', { exact: true })).toHaveValue('Finance');

  // Over https it is saved; the token is stored, never shown again, and its input emptied.
  await carol.getByLabel('SCIM base URL').fill('https://scim.example.com/v2');
  await carol.getByLabel('Token or client secret').fill('token-0123456789');
  await carol.getByRole('button', { name: 'Save provisioning' }).click();
  await expect(carol.getByRole('status').filter({ hasText: 'Provisioning saved.' })).toBeVisible();
  await expect(carol.getByLabel('Token or client secret')).toHaveValue('');
  await expect(carol.getByText('token-0123456789')).toHaveCount(0);

  // Opened again, the page shows the saved SCIM target and only its fields.
  await carol.reload();
  await waitForHydration(carol);
  // Opened by its address, the tab hydrates the server's form (it once showed two).
  await expect(carol.getByRole('tabpanel').locator('form')).toHaveCount(1);
  await expect(carol.getByRole('radio', { name: 'SCIM 2.0 application group' })).toBeChecked();
  await expect(carol.getByLabel('SCIM base URL')).toHaveValue('https://scim.example.com/v2');
  await expect(carol.getByLabel('SCIM group', { exact: true })).toHaveValue('Finance');
  await expect(carol.getByLabel('Token or client secret')).toHaveValue('');
  await expect(carol.getByLabel('Token or client secret')).toHaveAccessibleDescription(/is stored \(encrypted/);
  await expect(carol.getByLabel('LDAP server URL')).toBeHidden();

  // On a phone the tabs scroll sideways, and the selected one is in view.
  // (Opened afresh: a reload would restore the page scrolled down to the form.)
  await carol.setViewportSize({ width: 390, height: 844 });
  await carol.goto(carol.url());
  await waitForHydration(carol);
  await expect(carol.getByRole('tab', { name: 'Provisioning', selected: true })).toBeInViewport({ ratio: 0.99 }); // offsets are whole pixels
  await checkOnPhone(carol, 'provisioning-scim-saved-phone');
});
