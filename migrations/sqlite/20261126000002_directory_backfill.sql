-- The groups people had at their last sign-in, as directory groups and members
-- (SQLite dialect: json_each).
INSERT INTO directory_groups (id, display_name, source, created_at, updated_at)
SELECT DISTINCT 'g-' || lower(hex(randomblob(16))), g.value, 'oidc', 0, 0
FROM users u, json_each(u.groups_json) g
GROUP BY g.value;

INSERT INTO group_members (group_id, user_id)
SELECT DISTINCT dg.id, u.id
FROM users u, json_each(u.groups_json) g
JOIN directory_groups dg ON dg.display_name = g.value;
