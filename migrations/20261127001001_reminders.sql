-- Reminders and escalation of approval tasks that wait (issue 18). Portable SQL.

-- How many reminders a pending task has had and when the last went out; the
-- scheduled scan raises the count with a conditional update in the
-- transaction that writes the reminder's mail, so each reminder happens once
-- however many workers run.
ALTER TABLE approval_tasks ADD COLUMN reminders_sent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE approval_tasks ADD COLUMN last_reminded_at BIGINT;
-- When escalation was due but the fallback could not take the task (the
-- reason is in the audit trail and the administrators were told): set once,
-- so it is reported once.
ALTER TABLE approval_tasks ADD COLUMN escalation_blocked_at BIGINT;

-- The scan walks pending tasks by age.
CREATE INDEX approval_tasks_pending_by_age ON approval_tasks (state, created_at, id);
