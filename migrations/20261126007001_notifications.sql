-- Notifications (issue 18): e-mail through the outbox (kind 'email', operation
-- 'send'), people's choices, and one-click unsubscribe. Portable SQL.

-- Whether this installation sends mail (COUNTERSIGN_SMTP_* set), recorded by
-- the server at start-up, so the rules that write mail jobs in a decision's
-- transaction write none while mail is off. One row.
CREATE TABLE notification_delivery (
    id           BIGINT PRIMARY KEY,
    mail_enabled BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- A person who turned off a non-essential topic of mail (decisions on their
-- requests, access about to end). No row: they get it.
CREATE TABLE notification_opt_outs (
    user_id    TEXT NOT NULL REFERENCES users (id),
    topic      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, topic)
);

-- One-click unsubscribe (RFC 8058) links of non-essential mail: only the
-- SHA-256 of the link's random token is kept; it turns off one topic for one
-- person and does nothing else.
CREATE TABLE notification_unsubscribe_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    topic      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notification_unsubscribe_by_age ON notification_unsubscribe_tokens (created_at);

-- The scan for access about to end walks assignments by end date.
CREATE INDEX assignments_ending ON assignments (end_date, user_id, item_id);
