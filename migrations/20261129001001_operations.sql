-- /metrics counts the approval tasks waiting for a decision at every scrape:
-- an index that leads with the state, so the count reads only those tasks.
CREATE INDEX approval_tasks_by_state ON approval_tasks (state);
