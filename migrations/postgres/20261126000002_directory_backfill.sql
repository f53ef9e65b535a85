-- The groups people had at their last sign-in, as directory groups and members
-- (PostgreSQL dialect: json_array_elements_text).
INSERT INTO directory_groups (id, display_name, source, created_at, updated_at)
SELECT 'g-' || md5(g.name), g.name, 'oidc', 0, 0
FROM (
    SELECT DISTINCT json_array_elements_text(groups_json::json) AS name FROM users
) g
ON CONFLICT (display_name) DO NOTHING;

INSERT INTO group_members (group_id, user_id)
SELECT DISTINCT dg.id, u.id
FROM users u
CROSS JOIN LATERAL json_array_elements_text(u.groups_json::json) AS g(name)
JOIN directory_groups dg ON dg.display_name = g.name
ON CONFLICT DO NOTHING;
