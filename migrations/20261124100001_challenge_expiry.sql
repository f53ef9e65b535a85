-- Expired, never-verified re-authentication challenges are deleted by the
-- background clean-up (issue 14): an index on their expiry keeps that cheap.
CREATE INDEX reauth_challenges_expiry ON reauth_challenges (expires_at);
