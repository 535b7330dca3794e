-- +goose Up
-- Relations become stable ASCII ids (issue 7, item 8): the API answers relation "head" with
-- relation_label "户主" beside it, as it does for gender and political status, so clients need
-- not match Chinese words. The labels live in code (model.Relation.Label); input may still give
-- the Chinese word.
UPDATE residents SET relation = CASE relation
    WHEN '户主' THEN 'head'
    WHEN '配偶' THEN 'spouse'
    WHEN '子女' THEN 'child'
    WHEN '父母' THEN 'parent'
    WHEN '孙子女' THEN 'grandchild'
    WHEN '祖父母' THEN 'grandparent'
    WHEN '兄弟姐妹' THEN 'sibling'
    WHEN '儿媳' THEN 'daughter_in_law'
    WHEN '女婿' THEN 'son_in_law'
    WHEN '其他' THEN 'other'
    ELSE relation
END
WHERE relation IN ('户主', '配偶', '子女', '父母', '孙子女', '祖父母', '兄弟姐妹', '儿媳', '女婿', '其他');

-- +goose Down
UPDATE residents SET relation = CASE relation
    WHEN 'head' THEN '户主'
    WHEN 'spouse' THEN '配偶'
    WHEN 'child' THEN '子女'
    WHEN 'parent' THEN '父母'
    WHEN 'grandchild' THEN '孙子女'
    WHEN 'grandparent' THEN '祖父母'
    WHEN 'sibling' THEN '兄弟姐妹'
    WHEN 'daughter_in_law' THEN '儿媳'
    WHEN 'son_in_law' THEN '女婿'
    WHEN 'other' THEN '其他'
    ELSE relation
END;
