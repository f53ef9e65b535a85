-- Which encoding a record's hash uses. 1: the first (without actor_id, over a
-- re-serialisation of details). 2: every column, over the bytes as stored. Records
-- already written keep version 1 (the trail is append-only); new ones are written
-- with 2, and `countersign audit verify` refuses a 1 after a 2.
ALTER TABLE audit_log ADD COLUMN hash_version BIGINT NOT NULL DEFAULT 1;
