-- Access items, approval steps, requests, tasks, assignments, re-authentication
-- challenges, the organisation's configuration and the audit trail.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Booleans are BIGINT 0/1,
-- times integer Unix seconds (UTC), ids text UUIDv7.

CREATE TABLE access_items (
    id                    TEXT PRIMARY KEY,
    kind                  TEXT NOT NULL,
    name                  TEXT NOT NULL,
    -- lower-cased name: uniqueness per kind, sort order and keyset paging
    name_key              TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    -- lower-cased name and description, for search
    search_text           TEXT NOT NULL,
    owner_id              TEXT REFERENCES users (id),
    requestable           BIGINT NOT NULL DEFAULT 1,
    enabled               BIGINT NOT NULL DEFAULT 1,
    require_reauth        BIGINT NOT NULL DEFAULT 0,
    -- NULL: the organisation's default window
    reauth_window_minutes BIGINT,
    version               BIGINT NOT NULL DEFAULT 1,
    created_by            TEXT REFERENCES users (id),
    created_at            BIGINT NOT NULL,
    updated_by            TEXT REFERENCES users (id),
    updated_at            BIGINT NOT NULL,
    UNIQUE (kind, name_key)
);

CREATE INDEX access_items_by_name ON access_items (name_key, id);
CREATE INDEX access_items_catalog ON access_items (requestable, enabled, name_key, id);
CREATE INDEX access_items_kind ON access_items (kind, name_key, id);

-- The ordered approval steps of an item. approver_kind: owner | user | group.
CREATE TABLE approval_steps (
    item_id          TEXT NOT NULL REFERENCES access_items (id),
    position         BIGINT NOT NULL,
    approver_kind    TEXT NOT NULL,
    approver_user_id TEXT REFERENCES users (id),
    approver_group   TEXT,
    PRIMARY KEY (item_id, position)
);

-- The organisation's access-request configuration: one row, versioned.
CREATE TABLE org_config (
    id          BIGINT PRIMARY KEY,
    config_json TEXT NOT NULL,
    -- when the live re-authentication test last passed (NULL: never)
    reauth_test_passed_at BIGINT,
    version     BIGINT NOT NULL,
    updated_by  TEXT REFERENCES users (id),
    updated_at  BIGINT NOT NULL
);

-- kind: grant | revoke. status: pending | approved | denied | cancelled.
CREATE TABLE access_requests (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    item_id        TEXT NOT NULL REFERENCES access_items (id),
    requester_id   TEXT NOT NULL REFERENCES users (id),
    beneficiary_id TEXT NOT NULL REFERENCES users (id),
    justification  TEXT NOT NULL,
    end_date       BIGINT,
    status         TEXT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    closed_at      BIGINT
);

CREATE INDEX access_requests_by_requester ON access_requests (requester_id, created_at, id);
CREATE INDEX access_requests_by_beneficiary ON access_requests (beneficiary_id, item_id, status);

-- One task per step reached. state: pending | approved | denied | cancelled | reassigned.
CREATE TABLE approval_tasks (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL REFERENCES access_requests (id),
    position         BIGINT NOT NULL,
    approver_user_id TEXT REFERENCES users (id),
    approver_group   TEXT,
    state            TEXT NOT NULL,
    decided_by       TEXT REFERENCES users (id),
    decided_at       BIGINT,
    comment          TEXT,
    automatic        BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);

CREATE INDEX approval_tasks_for_user ON approval_tasks (approver_user_id, state, created_at, id);
CREATE INDEX approval_tasks_for_group ON approval_tasks (approver_group, state, created_at, id);
CREATE INDEX approval_tasks_decided ON approval_tasks (decided_by, decided_at, id);
CREATE INDEX approval_tasks_of_request ON approval_tasks (request_id, position);

CREATE TABLE assignments (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    item_id    TEXT NOT NULL REFERENCES access_items (id),
    request_id TEXT NOT NULL REFERENCES access_requests (id),
    granted_at BIGINT NOT NULL,
    end_date   BIGINT,
    UNIQUE (user_id, item_id)
);

CREATE INDEX assignments_by_end_date ON assignments (end_date);

-- A re-authentication asked of a person: for an approval (bound to the digest of
-- the exact decision), an admin's step-up, or the live provider test.
CREATE TABLE reauth_challenges (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    session_key     TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    digest          TEXT NOT NULL,
    action_json     TEXT NOT NULL,
    window_minutes  BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    verified_at     BIGINT,
    auth_time       BIGINT,
    evidence_json   TEXT,
    consumed_at     BIGINT
);

CREATE INDEX reauth_challenges_by_user ON reauth_challenges (user_id, session_key, verified_at);

-- The audit trail: append-only, each record chained to the previous by hash.
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_id      TEXT,
    actor_issuer  TEXT,
    actor_subject TEXT,
    actor_name    TEXT NOT NULL,
    action        TEXT NOT NULL,
    target_kind   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    item_id       TEXT,
    request_id    TEXT,
    details_json  TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);

CREATE INDEX audit_log_by_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);
CREATE INDEX audit_log_by_item ON audit_log (item_id, seq);
CREATE INDEX audit_log_by_request ON audit_log (request_id, seq);
CREATE INDEX audit_log_by_time ON audit_log (at, seq);
CREATE INDEX audit_log_by_target ON audit_log (target_id, seq);

-- The head of the chain: one row, updated by every append, so appends serialise
-- (a row lock on PostgreSQL, the write lock on SQLite) and the chain never forks.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);

INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
