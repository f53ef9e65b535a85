-- Signing out everywhere and disabling a person (issue 14): sessions know whose
-- they are, so all of a person's sessions can be ended at once; a disabled
-- person cannot sign in, and their sessions and tokens stop working.
ALTER TABLE sessions ADD COLUMN user_id TEXT;
CREATE INDEX sessions_by_user ON sessions (user_id);
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
