// The demo organisation: who can sign in at the local provider, with which groups.
// Every demo user has the password `countersign-demo` (the README says so).
import { timingSafeEqual, createHash } from 'node:crypto';

export const DEMO_PASSWORD = 'countersign-demo';

export const users = {
  alice: { name: 'Alice Example', email: 'alice@example.com', groups: ['staff'] },
  bob: { name: 'Bob Example', email: 'bob@example.com', groups: ['staff', 'countersign-approvers'] },
  dave: { name: 'Dave Example', email: 'dave@example.com', groups: ['staff', 'countersign-approvers'] },
  carol: { name: 'Carol Example', email: 'carol@example.com', groups: ['staff', 'countersign-admins'] },
  erin: { name: 'Erin Example', email: 'erin@example.com', groups: ['staff', 'countersign-auditors'] },
};

const digest = (value) => createHash('sha256').update(String(value)).digest();

/** The user name when the password is right, else null. Constant-time on the password. */
export function checkPassword(login, password) {
  const user = Object.hasOwn(users, login) ? users[login] : null;
  const ok = timingSafeEqual(digest(password), digest(DEMO_PASSWORD));
  return user && ok ? login : null;
}

// IDP_GROUPS (JSON, login → groups) overrides the groups above: the tests change a
// person's groups at the provider and watch Countersign notice at the next sign-in.
const groupOverrides = JSON.parse(process.env.IDP_GROUPS ?? '{}');

export async function findAccount(_ctx, id) {
  if (!Object.hasOwn(users, id)) return undefined;
  const user = { ...users[id] };
  if (Object.hasOwn(groupOverrides, id)) user.groups = groupOverrides[id];
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: user.name,
        preferred_username: id,
        email: user.email,
        email_verified: true,
        groups: user.groups,
      };
    },
  };
}
