-- SQLite only (app/src/db/migrations.rs adds this folder's files on SQLite).
-- The audit trail is append-only: the database itself refuses to change or remove
-- a record. (Whoever can write the file can still drop the triggers: the hash chain
-- and an anchored head, docs/operations.md, detect what a trigger cannot prevent.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE on audit_log refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE on audit_log refused');
END;
