-- +goose Up
-- A unit leader is scoped to its unit's anchor; until now the anchor moved (a household joining
-- from another stairwell, one leaving) without its leaders' accounts, which kept the old one
-- (store/unit_change.go, setUnitAnchor, moves them since). Those left behind move now.
UPDATE users SET scope_id = (SELECT n.territory_id FROM units n WHERE n.id = users.unit_id)
WHERE role = 'unit_leader' AND unit_id IS NOT NULL
    AND scope_id <> (SELECT n.territory_id FROM units n WHERE n.id = users.unit_id);

-- +goose Down
-- Nothing to undo: the scopes moved are where the previous binary sets them for a leader too.
SELECT 1;
