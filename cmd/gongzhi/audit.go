package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"gongzhi/internal/authz"
)

// cmdAudit checks and prunes the audit log: verify walks the hash chain, purge removes records
// older than the retention period.
func cmdAudit(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		return errors.New("usage: gongzhi audit verify|purge --before YYYY-MM-DD [--db DSN]")
	}
	sub := e.args[0]
	e.args = e.args[1:]
	switch sub {
	case "verify":
		return cmdAuditVerify(ctx, e)
	case "purge":
		return cmdAuditPurge(ctx, e)
	}
	return fmt.Errorf("unknown audit subcommand %q: use verify or purge", sub)
}

// errChainBroken makes `gongzhi audit verify` exit non-zero after it has said where.
var errChainBroken = errors.New("审计日志哈希链校验失败")

func cmdAuditVerify(ctx context.Context, e *env) error {
	cfg, pos, err := e.parse("audit verify", false, nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return errors.New("usage: gongzhi audit verify [--db DSN]")
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	v, err := st.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !v.OK() {
		fmt.Fprintf(e.stdout, "审计日志哈希链在第 %d 行断开：%s（共 %d 行）\n", v.BrokenAt, v.Reason, v.Records)
		return fmt.Errorf("%w：第 %d 行", errChainBroken, v.BrokenAt)
	}
	if v.Records == 0 {
		fmt.Fprintln(e.stdout, "审计日志为空")
		return nil
	}
	fmt.Fprintf(e.stdout, "审计日志完好：%d 行（第 %d–%d 行），链头 %s\n", v.Records, v.FirstID, v.HeadID, v.HeadHash)
	fmt.Fprintln(e.stdout, "请把链头记录在数据库之外：下次校验时链头之前的行若被截断或替换，可据此发现。")
	return nil
}

func cmdAuditPurge(ctx context.Context, e *env) error {
	var before string
	cfg, pos, err := e.parse("audit purge", false, func(fs *flag.FlagSet) {
		fs.StringVar(&before, "before", "", "remove records older than this date (YYYY-MM-DD), at least 3 years ago")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 || before == "" {
		return errors.New("usage: gongzhi audit purge --before YYYY-MM-DD [--db DSN]")
	}
	day, err := time.ParseInLocation(time.DateOnly, before, time.UTC)
	if err != nil {
		return fmt.Errorf("--before %q: 日期应为 YYYY-MM-DD", before)
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	n, err := st.PurgeAudit(ctx, authz.System(), day)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已清除 %s 之前的 %d 条审计记录\n", before, n)
	return nil
}
