-- +goose Up
-- Materialized paths compare byte by byte, as the territory tables' do (0001): a subtree is the
-- range [prefix, prefix with its last "/" replaced by "0"), which holds only under a byte order.
-- The party and register tables of 0014, 0015 and 0018 declared path without COLLATE "C", so on
-- a server whose default collation is a language's (zh_CN.UTF-8, en_US.UTF-8) subtree reads
-- could miss or include the wrong rows. The same holds for jobs (0007) and id_conflicts (0011),
-- whose scope paths are compared against a caller's subtree. Indexes are rebuilt by the ALTER.
ALTER TABLE party_orgs ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE organizations ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE party_members ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE party_dues_payments ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE org_notices ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE org_posts ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE org_files ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE jobs ALTER COLUMN scope_path TYPE TEXT COLLATE "C";
ALTER TABLE id_conflicts ALTER COLUMN target_path TYPE TEXT COLLATE "C", ALTER COLUMN holder_path TYPE TEXT COLLATE "C", ALTER COLUMN common_path TYPE TEXT COLLATE "C";

-- +goose Down
ALTER TABLE party_orgs ALTER COLUMN path TYPE TEXT COLLATE "default";
ALTER TABLE organizations ALTER COLUMN path TYPE TEXT COLLATE "default";
ALTER TABLE party_members ALTER COLUMN path TYPE TEXT COLLATE "default";
ALTER TABLE party_dues_payments ALTER COLUMN path TYPE TEXT COLLATE "default";
ALTER TABLE org_notices ALTER COLUMN path TYPE TEXT COLLATE "default";
ALTER TABLE org_posts ALTER COLUMN path TYPE TEXT COLLATE "default";
ALTER TABLE org_files ALTER COLUMN path TYPE TEXT COLLATE "default";
ALTER TABLE jobs ALTER COLUMN scope_path TYPE TEXT COLLATE "default";
ALTER TABLE id_conflicts ALTER COLUMN target_path TYPE TEXT COLLATE "default", ALTER COLUMN holder_path TYPE TEXT COLLATE "default", ALTER COLUMN common_path TYPE TEXT COLLATE "default";
