package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/division"
	"gongzhi/internal/importer"
)

func cmdImport(ctx context.Context, e *env) error {
	if len(e.args) == 0 {
		return errors.New("usage: gongzhi import households FILE [--skip-invalid] | households --template FILE | divisions CODE [--villages]")
	}
	kind := e.args[0]
	e.args = e.args[1:]
	switch kind {
	case "households":
		return importHouseholds(ctx, e)
	case "divisions":
		return importDivisions(ctx, e)
	}
	return fmt.Errorf("unknown import kind %q: households or divisions", kind)
}

// progressPrinter prints a progress line at most every half second, and always the last one.
func progressPrinter(e *env) func(stage string, done, total int) {
	var last time.Time
	return func(stage string, done, total int) {
		if time.Since(last) < 500*time.Millisecond && (total == 0 || done < total) {
			return
		}
		last = time.Now()
		if total > 0 {
			fmt.Fprintf(e.stderr, "\r%s %d/%d (%d%%)   ", stage, done, total, done*100/total)
		} else {
			fmt.Fprintf(e.stderr, "\r%s %d   ", stage, done)
		}
	}
}

func importHouseholds(ctx context.Context, e *env) error {
	var skip bool
	var template string
	cfg, pos, err := e.parse("import households", false, func(fs *flag.FlagSet) {
		fs.BoolVar(&skip, "skip-invalid", false, "write the good households and save the bad rows to FILE.rejects.csv")
		fs.StringVar(&template, "template", "", "write the import template (.xlsx) to this file and exit")
	})
	if err != nil {
		return err
	}
	if template != "" {
		f, err := os.OpenFile(template, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644) // #nosec G302 G304 -- the operator names the file; an empty template holds no personal data
		if err != nil {
			return err
		}
		if err := importer.WriteTemplate(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "模板已写入 %s\n", template)
		return nil
	}
	if len(pos) != 1 {
		return errors.New("usage: gongzhi import households FILE [--db DSN] [--skip-invalid]")
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	rep, err := importer.ImportHouseholds(ctx, st, pos[0], importer.Options{Scope: authz.System(), SkipInvalid: skip, Progress: progressPrinter(e)})
	fmt.Fprintln(e.stderr)
	if rep != nil {
		for _, re := range rep.Errors {
			fmt.Fprintln(e.stderr, re.String())
		}
		fmt.Fprintln(e.stdout, rep.Summary())
		if rep.RejectsPath != "" {
			fmt.Fprintf(e.stdout, "有问题的行已保存到 %s\n", rep.RejectsPath)
		}
	}
	if errors.Is(err, importer.ErrInvalidRows) {
		return fmt.Errorf("%d 行有错误，未写入任何数据（修正后重新导入，或用 --skip-invalid 只导入无误的住户）", len(rep.Errors))
	}
	return err
}

func importDivisions(ctx context.Context, e *env) error {
	var villages bool
	cfg, pos, err := e.parse("import divisions", false, func(fs *flag.FlagSet) {
		fs.BoolVar(&villages, "villages", false, "also load villages (村), not only residents' communities (社区)")
	})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: gongzhi import divisions CODE [--villages] [--db DSN]: CODE is a county (6 digits, e.g. 510781) or a province (2 digits)")
	}
	tbl, err := division.Load()
	if err != nil {
		return err
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	p := progressPrinter(e)
	n, err := division.ImportDivisions(ctx, st, tbl, pos[0], villages, func(done, total int) { p("区划", done, total) })
	fmt.Fprintln(e.stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已导入 %d 个区划节点（代码 %s）\n", n, pos[0])
	return nil
}
