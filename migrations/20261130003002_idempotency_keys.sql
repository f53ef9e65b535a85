-- The first answer to an API call sent with an Idempotency-Key, replayed when
-- the same caller (token) sends the same key again. Only hashes of the key and
-- of the request are kept; `status` and `body` are NULL while the first call is
-- under way. Removed after 24 hours by the clean-up job.
CREATE TABLE api_idempotency_keys (
    caller       TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT,
    body         TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (caller, key_hash)
);

CREATE INDEX api_idempotency_keys_by_age ON api_idempotency_keys (created_at);
