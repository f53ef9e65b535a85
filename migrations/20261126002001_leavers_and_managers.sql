-- Leavers and managers (issue 16).
--
-- approval_steps.approver_kind gains 'manager': the beneficiary's manager
-- (users.manager_id, set by the directory) when the step opens.
--
-- A task opened for an approval step "the beneficiary's manager" remembers it,
-- so that when the directory changes the beneficiary's manager the open task
-- moves to the new one. A task handed on by a person (reassignment) does not
-- carry it: a deliberate hand-off is not undone by the directory.
ALTER TABLE approval_tasks ADD COLUMN manager_step BIGINT NOT NULL DEFAULT 0;

-- "Access to remove": what people who left (or were disabled) still hold,
-- in the order they left.
CREATE INDEX users_by_disabled ON users (disabled_at, id);
