-- Directory sync (issue 16): the organisation's people, groups and managers as
-- its identity provider pushes them over SCIM 2.0, and the same people when they
-- sign in through OpenID Connect.
--
-- A person pushed before their first sign-in has no provider identity yet:
-- issuer '' and subject = their id, until the first sign-in links them (by the
-- configured key: externalId = sub, or userName = preferred_username / email).

-- SCIM userName as pushed, and lower-cased (unique; `eq` and `sw` filters).
ALTER TABLE users ADD COLUMN user_name TEXT;
ALTER TABLE users ADD COLUMN user_name_key TEXT;
-- SCIM externalId: the provider's own id of the person.
ALTER TABLE users ADD COLUMN external_id TEXT;
-- The enterprise extension: employeeNumber, department, manager.value.
ALTER TABLE users ADD COLUMN employee_number TEXT;
ALTER TABLE users ADD COLUMN department TEXT;
ALTER TABLE users ADD COLUMN manager_id TEXT REFERENCES users (id);
-- The SCIM resource as last accepted (attributes kept but not used by rules).
ALTER TABLE users ADD COLUMN scim_json TEXT;
-- 'oidc': known from a sign-in; 'scim': managed by the directory.
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'oidc';
-- SCIM meta.version (ETag) and meta.lastModified.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN updated_at BIGINT;

CREATE UNIQUE INDEX users_by_user_name ON users (user_name_key);
CREATE UNIQUE INDEX users_by_external_id ON users (external_id);
CREATE INDEX users_by_manager ON users (manager_id, name, id);

-- Groups: pushed by SCIM ('scim') or named in ID tokens ('oidc'). Approval
-- steps and the role map name groups by display_name.
CREATE TABLE directory_groups (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL UNIQUE,
    external_id  TEXT UNIQUE,
    source       TEXT NOT NULL,
    scim_json    TEXT,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- Who is in which group. users.groups_json is this, cached per person for the
-- role check of every request; both are written by one function.
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES directory_groups (id),
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

-- Bearer tokens of the directory (the SCIM client), separate from personal
-- tokens. Only a SHA-256 of the secret is kept.
CREATE TABLE directory_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE INDEX directory_tokens_by_created ON directory_tokens (created_at, id);

-- Every SCIM request and its outcome, for the Directory page (kept 30 days).
CREATE TABLE scim_operations (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    token_id    TEXT,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      BIGINT NOT NULL,
    -- 'ok', or the SCIM error's scimType (or 'error' when it has none)
    outcome     TEXT NOT NULL,
    resource_id TEXT,
    detail      TEXT NOT NULL DEFAULT ''
);

CREATE INDEX scim_operations_by_time ON scim_operations (at, id);
