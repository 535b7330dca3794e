package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"gongzhi/internal/config"
)

const usage = `gongzhi — 共治：区域化党建与社区治理平台

usage:
  gongzhi serve   [--addr 127.0.0.1:8080] [--metrics-addr 127.0.0.1:9090] [--db DSN]   run the server
  gongzhi demo    [--addr 127.0.0.1:8080] [--metrics-addr ADDR] [--db DSN] [--households N] [--county CODE] [--seed N] [--no-serve]
  gongzhi migrate [--db DSN]
  gongzhi import  households FILE [--db DSN] [--skip-invalid] [--template]
  gongzhi import  divisions CODE [--db DSN] [--villages]   load a county (6 digits) or province (2 digits)
  gongzhi user add --username U --password P --role ROLE [--scope TERRITORY_ID_OR_CODE] [--totp-secret BASE32] [--db DSN]
  gongzhi user unlock --username U [--db DSN]              lift a lock after failed logins
  gongzhi otp     SECRET                                   print the current second-factor code
  gongzhi backup  FILE [--db DSN]
  gongzhi audit   verify [--expect-head ID:HASH] [--db DSN]  check the keyed audit chain; prints its head
  gongzhi audit   purge --before YYYY-MM-DD [--db DSN]      remove audit records older than 3 years
  gongzhi keys    list|rotate [--retire] [--audit]|new FILE [--db DSN] [--keys FILE]   personal-data and audit keys
  gongzhi bench   [--db DSN] [--households N] ...           see docs/benchmarks.md
  gongzhi version

DSN: sqlite:PATH (default sqlite:gongzhi.db), sqlite::memory:, or a postgres:// URL.
Every command takes --keys FILE: the personal-data key file (default for SQLite: the database
file + ".keys", created by the first serve, demo or migrate; PostgreSQL needs one, made with
gongzhi keys new FILE, except for demo, which creates and reuses ./gongzhi-demo.keys).
/metrics listens on --metrics-addr only (no login; loopback by default; '' or off: none).
Environment: GONGZHI_DB, GONGZHI_ADDR, GONGZHI_METRICS_ADDR, GONGZHI_KEYS (kid:base64,… current first), GONGZHI_KEY_FILE, GONGZHI_ADMIN_PASSWORD, GONGZHI_ADMIN_TOTP_SECRET, GONGZHI_SECURE_COOKIES (true behind a TLS-terminating proxy), GONGZHI_TRUSTED_PROXIES (CIDRs whose X-Forwarded-For is believed), GONGZHI_LOG_LEVEL (debug|info|warn|error).
`

// env is what every subcommand gets: its arguments, the environment and where to write.
type env struct {
	args   []string
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// run is the whole program; tests call it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing subcommand")
	}
	e := &env{args: args[1:], getenv: getenv, stdout: stdout, stderr: stderr, log: newLogger(getenv, stderr)}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, e)
	case "demo":
		return cmdDemo(ctx, e)
	case "migrate":
		return cmdMigrate(ctx, e)
	case "import":
		return cmdImport(ctx, e)
	case "user":
		return cmdUser(ctx, e)
	case "otp":
		return cmdOTP(e)
	case "backup":
		return cmdBackup(ctx, e)
	case "audit":
		return cmdAudit(ctx, e)
	case "keys":
		return cmdKeys(ctx, e)
	case "bench":
		return cmdBench(ctx, e)
	case "version", "--version":
		return cmdVersion(e)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func newLogger(getenv func(string) string, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(getenv("GONGZHI_LOG_LEVEL")))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// parse parses a subcommand's flags into a fresh config and validates it. Positional arguments
// may come before or after the flags.
func (e *env) parse(name string, server bool, extra func(fs *flag.FlagSet)) (config.Config, []string, error) {
	cfg := config.Default(e.getenv)
	fs := cfg.FlagSet(name, server, e.stderr)
	if extra != nil {
		extra(fs)
	}
	var positional []string
	args := e.args
	for {
		if err := fs.Parse(args); err != nil {
			return cfg, nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	return cfg, positional, cfg.Validate()
}
