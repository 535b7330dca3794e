-- +goose Up
-- The blind indexes of ID numbers and phones hold HMACs: their order means nothing, so they
-- compare byte by byte (COLLATE "C", as paths do) instead of by the database's locale, which
-- costs several times more per comparison. store.BulkLoad builds both indexes after the load,
-- sorting 2.6 million keys each for a million households: measured on 260,000 keys, one serial
-- build took 3.0 s under C.UTF-8 and 0.9 s under "C". Equality is the same under both collations;
-- the column data stay as they are and the two indexes are built again.
ALTER TABLE residents
    ALTER COLUMN id_number_idx TYPE TEXT COLLATE "C",
    ALTER COLUMN phone_idx TYPE TEXT COLLATE "C";

-- +goose Down
ALTER TABLE residents
    ALTER COLUMN id_number_idx TYPE TEXT COLLATE "default",
    ALTER COLUMN phone_idx TYPE TEXT COLLATE "default";
