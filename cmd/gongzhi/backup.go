package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// cmdBackup writes a consistent online copy of a SQLite database with VACUUM INTO, which reads
// one snapshot while the server keeps serving. For PostgreSQL, use pg_dump (see README).
func cmdBackup(ctx context.Context, e *env) error {
	cfg, pos, err := e.parse("backup", false, nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: gongzhi backup FILE [--db DSN]")
	}
	if cfg.SQLitePath() == "" {
		return errors.New("backup copies a SQLite database file; for PostgreSQL use pg_dump (see README)")
	}
	dst := pos[0]
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("%s already exists; choose a new file name", dst)
	}
	if strings.ContainsRune(dst, '\'') {
		return errors.New("backup file name must not contain a single quote")
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.DB().ExecContext(ctx, `VACUUM INTO '`+dst+`'`); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return err
	}
	if err := os.Chmod(dst, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已备份到 %s（%d 字节）\n", dst, fi.Size())
	return nil
}
