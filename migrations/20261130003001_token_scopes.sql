-- What a personal access token may be used for: its scopes, space-separated
-- (`read request approve admin audit`). Tokens made before scopes existed could
-- do everything their owner can, so they keep every scope: nothing breaks.
ALTER TABLE personal_access_tokens
    ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read request approve admin audit';
