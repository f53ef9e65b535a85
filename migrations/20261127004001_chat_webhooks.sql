-- Chat notifications (issue 18): a Slack- or Teams-compatible incoming webhook
-- for the organisation (scope 'org') and per access item (scope 'item:<id>'),
-- told of every new approval task. The URL is the credential (whoever holds it
-- may post to the channel), so it is kept sealed under COUNTERSIGN_SECRET_KEY,
-- bound to its scope; only its host is kept in clear, for the pages and the
-- audit trail. Portable SQL.
CREATE TABLE chat_webhooks (
    scope      TEXT PRIMARY KEY,
    format     TEXT NOT NULL,
    url_sealed TEXT NOT NULL,
    host       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL
);
