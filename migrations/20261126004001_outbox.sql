-- Provisioning (issue 17) through a durable outbox, which e-mail (issue 18) will
-- use as well. Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- A job written in the same transaction as the decision that needs it, run by
-- the worker inside the server (or, state 'manual', completed by a person).
--   kind:      provision (later: email)
--   operation: grant | revoke (provision); send (email)
--   state:     queued | running | done | failed | manual | cancelled
CREATE TABLE outbox_jobs (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    operation       TEXT NOT NULL,
    -- Jobs with the same key run one at a time, oldest (lowest id) first; a newer
    -- job supersedes older ones that have not started. NULL: independent.
    serial_key      TEXT,
    -- Written once: a decision retried after a crash cannot write its job twice.
    idempotency_key TEXT NOT NULL UNIQUE,
    -- Whom or what it goes to: the item whose connector runs it, a recipient.
    target          TEXT NOT NULL,
    -- What it is about, for the pages that show a job where it belongs.
    user_id         TEXT REFERENCES users (id),
    item_id         TEXT REFERENCES access_items (id),
    request_id      TEXT REFERENCES access_requests (id),
    payload_json    TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    max_attempts    BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    -- A manual job's people: a named person, or any member of a group.
    assignee_user_id TEXT REFERENCES users (id),
    assignee_group  TEXT,
    -- Who marked it done by hand, and what they said.
    done_by         TEXT REFERENCES users (id),
    note            TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    done_at         BIGINT
);

-- The worker's pick (due queued jobs) and lease reclaim (running, lease over).
CREATE INDEX outbox_jobs_due ON outbox_jobs (state, next_attempt_at, id);
CREATE INDEX outbox_jobs_leases ON outbox_jobs (state, lease_until);
-- The admin page: one state, newest first.
CREATE INDEX outbox_jobs_by_state ON outbox_jobs (state, created_at, id);
-- Order within a serial key, and its open jobs.
CREATE INDEX outbox_jobs_serial ON outbox_jobs (serial_key, state, id);
-- A request's jobs; an assignment's newest job.
CREATE INDEX outbox_jobs_by_request ON outbox_jobs (request_id, id);
CREATE INDEX outbox_jobs_by_holder ON outbox_jobs (user_id, item_id, kind, id);
-- Fulfilment tasks in a person's inbox.
CREATE INDEX outbox_jobs_for_user ON outbox_jobs (assignee_user_id, state, created_at, id);
CREATE INDEX outbox_jobs_for_group ON outbox_jobs (assignee_group, state, created_at, id);

-- Where an item's grants go. No row: manual fulfilment by the item owner.
--   connector: manual | webhook (later ldap, scim)
CREATE TABLE provisioning_targets (
    item_id       TEXT PRIMARY KEY REFERENCES access_items (id),
    connector     TEXT NOT NULL,
    -- What is not secret: the URL, the fulfillers' group, a group's name.
    settings_json TEXT NOT NULL,
    -- The credential, sealed with COUNTERSIGN_SECRET_KEY (never shown again).
    secret_sealed TEXT,
    version       BIGINT NOT NULL,
    updated_by    TEXT REFERENCES users (id),
    updated_at    BIGINT NOT NULL
);
