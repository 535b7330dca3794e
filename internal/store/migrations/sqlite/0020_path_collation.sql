-- +goose Up
-- PostgreSQL's 0020 gives the paths of the party, register, jobs and id_conflicts tables a byte order (COLLATE "C"). SQLite's
-- TEXT columns already compare that way (BINARY); the file keeps the engines' versions the same.
SELECT 1;

-- +goose Down
SELECT 1;
