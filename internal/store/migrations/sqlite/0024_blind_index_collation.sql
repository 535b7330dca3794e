-- +goose Up
-- PostgreSQL's 0024 makes the blind-index columns compare byte by byte (COLLATE "C"). SQLite's
-- TEXT columns already compare that way (BINARY), so there is nothing to change here; the file
-- keeps the two engines' migration versions the same.
SELECT 1;

-- +goose Down
SELECT 1;
