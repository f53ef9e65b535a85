-- PostgreSQL only (app/src/db/migrations.rs adds this folder's files on PostgreSQL).
-- The audit trail is append-only: the database itself refuses to change or remove
-- a record, whoever asks. (Its owner can still drop the trigger: the hash chain and
-- an anchored head, docs/operations.md, detect what a trigger cannot prevent.)
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on audit_log refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
