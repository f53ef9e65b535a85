-- An item's holders, newest grant first (the Provisioning tab's "People with
-- this access"): walked by item, then (granted_at, id) descending.
CREATE INDEX assignments_by_item ON assignments (item_id, granted_at, id);
