package main

import (
	"context"
	"fmt"
)

func cmdMigrate(ctx context.Context, e *env) error {
	cfg, _, err := e.parse("migrate", false, nil)
	if err != nil {
		return err
	}
	kr, err := ensureKeys(ctx, e, cfg)
	if err != nil {
		return err
	}
	if kr, err = ensureAuditKey(e, cfg, kr, cfg.DefaultKeyFile()); err != nil {
		return err
	}
	st, err := openWith(ctx, cfg, kr)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已应用 %d 个迁移，数据库结构为最新（%s）\n", n, st.Engine())
	return nil
}
