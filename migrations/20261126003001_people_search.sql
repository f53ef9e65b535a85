-- People pickers (issue 16): one search over a person's name, user name and
-- email, for organisations of 10,000 people and more.
--
-- search_key is lower(name) || chr(31) || lower(user_name) || chr(31) ||
-- lower(email), kept by a trigger of each dialect (20261126003002) so every
-- writer of users (sign-in, the directory, the demo) keeps it true. A search
-- term is a substring of it (LIKE '%term%').
ALTER TABLE users ADD COLUMN search_key TEXT NOT NULL DEFAULT '';

-- The pickers' page order (name, id) over the people who have not left, with
-- every column a search reads or returns: a search walks this index in order
-- and stops at its page, and one that matches nobody reads the index alone.
CREATE INDEX users_picker ON users (name, id, email, search_key) WHERE disabled_at IS NULL;
