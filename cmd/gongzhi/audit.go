package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
)

// cmdAudit checks and prunes the audit log: verify walks the hash chain, purge removes records
// older than the retention period.
func cmdAudit(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		return errors.New("usage: gongzhi audit verify [--expect-head ID:HASH] | purge --before YYYY-MM-DD [--db DSN]")
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

// cmdAuditVerify walks the chain under the audit keys, checks it against --expect-head (the
// head an operator recorded earlier), and prints the current head as one line "ID:HASH" to
// record elsewhere.
func cmdAuditVerify(ctx context.Context, e *env) error {
	var expectFlag string
	cfg, pos, err := e.parse("audit verify", false, func(fs *flag.FlagSet) {
		fs.StringVar(&expectFlag, "expect-head", "", "the head ID:HASH recorded earlier: fail if that row is missing or differs (the tail was cut off or replaced)")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return errors.New("usage: gongzhi audit verify [--expect-head ID:HASH] [--db DSN]")
	}
	var expect *store.AuditHead
	if expectFlag != "" {
		h, err := store.ParseAuditHead(expectFlag)
		if err != nil {
			return fmt.Errorf("--expect-head %q: 应写作 编号:哈希，即上次 gongzhi audit verify 打印的最后一行", expectFlag)
		}
		expect = &h
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	v, err := st.VerifyAudit(ctx, expect)
	if err != nil {
		return err
	}
	if v.BrokenAt != 0 {
		fmt.Fprintf(e.stdout, "审计日志哈希链在第 %d 行断开：%s（共 %d 行）\n", v.BrokenAt, v.Reason, v.Records)
		return fmt.Errorf("%w：第 %d 行", errChainBroken, v.BrokenAt)
	}
	if v.ExpectedReason != "" {
		fmt.Fprintf(e.stdout, "审计日志与记录的链头 %s 不符：%s\n", expect, v.ExpectedReason)
		return fmt.Errorf("%w：链头 %s 不符", errChainBroken, expect)
	}
	if v.Records == 0 {
		fmt.Fprintln(e.stdout, "审计日志为空")
		return nil
	}
	fmt.Fprintf(e.stdout, "审计日志完好：%d 行（第 %d–%d 行），%d 行由审计密钥签名", v.Records, v.FirstID, v.HeadID, v.Keyed)
	if expect != nil {
		fmt.Fprintf(e.stdout, "，含记录的链头第 %d 行", expect.ID)
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout, "当前链头如下（请每天记录在数据库之外，下次用 --expect-head 核对，可发现末尾被截断或替换）：")
	fmt.Fprintln(e.stdout, v.Head())
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
