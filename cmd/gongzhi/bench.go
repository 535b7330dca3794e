package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gongzhi/internal/bench"
)

// cmdBench generates a city into a fresh database and measures it (docs/benchmarks.md).
// Without --db it uses a new SQLite file in a temporary directory, removed afterwards.
func cmdBench(ctx context.Context, e *env) error {
	opts := bench.Options{}
	var markdown string
	var dbSet bool
	cfg, _, err := e.parse("bench", false, func(fs *flag.FlagSet) {
		fs.IntVar(&opts.Households, "households", 1_000_000, "households to generate")
		fs.Int64Var(&opts.Seed, "seed", 1, "generator seed")
		fs.IntVar(&opts.Samples, "samples", 300, "latency samples per level")
		fs.DurationVar(&opts.Duration, "duration", 10*time.Second, "length of each throughput run")
		fs.IntVar(&opts.Concurrency, "concurrency", 0, "workers per throughput run (0: 4 × the CPUs)")
		fs.BoolVar(&opts.SkipHTTP, "skip-http", false, "skip the HTTP load runs")
		fs.BoolVar(&opts.SkipOrderFlow, "skip-order-flow", false, "skip placing, claiming and finishing orders through the API")
		fs.IntVar(&opts.Orders, "orders", 500_000, "historical orders to add to the city (0: measure no orders)")
		fs.IntVar(&opts.Ballots, "ballots", 0, "households of the largest street that vote through the API (issue 11; 0: no vote measured)")
		fs.StringVar(&markdown, "markdown", "", "append the report as Markdown to this file")
		fs.BoolVar(&opts.Reuse, "reuse", false, "measure the city an earlier run left in --db instead of generating one")
	})
	if err != nil {
		return err
	}
	for _, a := range e.args {
		if a == "--db" || strings.HasPrefix(a, "--db=") || a == "-db" || strings.HasPrefix(a, "-db=") {
			dbSet = true
		}
	}
	opts.DSN = cfg.DB
	// The keys the city is sealed with: those configured (--keys, GONGZHI_KEYS, the key file
	// beside a SQLite database), so that a --reuse run opens what the generating run sealed;
	// none configured, a key for this run only.
	if opts.Keys, err = loadKeys(cfg); err != nil {
		return err
	}
	if !dbSet {
		dir, err := os.MkdirTemp("", "gongzhi-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		opts.DSN = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	rep, err := bench.Run(ctx, opts, e.stdout)
	if err != nil {
		return err
	}
	command := "gongzhi bench " + strings.Join(e.args, " ")
	rep.WriteMarkdown(e.stdout, command)
	if markdown != "" {
		f, err := os.OpenFile(markdown, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644) // #nosec G302 G304 -- the operator names the report file; a benchmark report is meant to be readable
		if err != nil {
			return err
		}
		rep.WriteMarkdown(f, command)
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "appended to %s\n", markdown)
	}
	return nil
}
