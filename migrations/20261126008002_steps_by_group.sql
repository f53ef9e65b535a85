-- The approval steps naming a group: followed when the directory renames it.
CREATE INDEX approval_steps_by_group ON approval_steps (approver_group);
