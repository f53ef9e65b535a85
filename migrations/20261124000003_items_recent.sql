-- The admin list sorted by most recently changed (keyset over updated_at, id).
CREATE INDEX access_items_recent ON access_items (updated_at, id);
