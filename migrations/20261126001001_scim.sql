-- The SCIM service provider (issue 16).
--
-- A person the directory deletes stays as a row (the audit trail names them)
-- but is gone from every SCIM read: deleted_at says when.
ALTER TABLE users ADD COLUMN deleted_at BIGINT;

-- SCIM `displayName eq` on groups is case-insensitive (RFC 7643 §4.2:
-- caseExact false), as Entra ID matches groups by it.
CREATE INDEX directory_groups_by_name_key ON directory_groups (LOWER(display_name));

-- Adopting a person known from a sign-in before the directory pushed them: by
-- their subject (externalId = sub), or by their email (userName = email).
CREATE INDEX users_by_subject ON users (subject);
CREATE INDEX users_by_email_key ON users (LOWER(email));
