package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/config"
	"gongzhi/internal/jobs"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/web"
)

func cmdServe(ctx context.Context, e *env) error {
	cfg, _, err := e.parse("serve", true, nil)
	if err != nil {
		return err
	}
	kr, err := ensureKeys(ctx, e, cfg)
	if err != nil {
		return err
	}
	if kr.AuditKeyID() == "" {
		// Not added here: instances that each added their own would sign one chain with
		// different keys. migrate adds it once, and the file is copied to every instance.
		return fmt.Errorf("密钥中没有审计密钥：先运行 gongzhi migrate --db %s（它会在密钥文件中加入一把），再把密钥文件复制到每个实例", cfg.DB)
	}
	st, err := openWith(ctx, cfg, kr)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		if errors.Is(err, store.ErrStaleSchema) {
			return fmt.Errorf("%w (gongzhi migrate --db %s)", err, cfg.DB)
		}
		return err
	}
	return serve(ctx, e, cfg, st, func(addr net.Addr) {
		fmt.Fprintf(e.stdout, "gongzhi 已启动：http://%s/\n", addr)
	})
}

// serve runs the HTTP server on st until ctx ends, and the background job worker beside it:
// started before the first request, stopped after the last (running jobs get the shutdown
// grace to finish, then are cancelled: they roll back and are marked failed, saying so).
func serve(ctx context.Context, e *env, cfg config.Config, st *store.Store, ready func(net.Addr)) error {
	opts := jobs.Options{}
	if cfg.Outbound == "log" {
		opts.Outbound = jobs.LogChannel{Log: e.log}
	}
	q, err := jobs.New(st, e.log, opts)
	if err != nil {
		return err
	}
	a := api.New(st, e.log, cfg.MaxBodyBytes, cfg.SecureCookies)
	a.UseJobs(q, cfg.MaxUploadBytes)
	pages, err := web.New(st, e.log, web.Options{SiteName: cfg.SiteName, MaxUploadBytes: cfg.MaxUploadBytes, Secure: cfg.SecureCookies, Jobs: q})
	if err != nil {
		return err
	}
	if err := q.Start(ctx); err != nil {
		return err
	}
	defer func() {
		if err := q.Stop(cfg.ShutdownTimeout); err != nil {
			e.log.Error("stop job worker", "err", err)
		}
	}()
	srv := server.New(st, e.log, api.Token, a, pages)
	srv.LimitBody(max(cfg.MaxBodyBytes, cfg.MaxUploadBytes))
	proxies, err := cfg.Proxies()
	if err != nil {
		return err
	}
	srv.TrustProxies(proxies)
	e.log.Info("serving", "addr", cfg.Addr, "db", st.Engine())
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	go sweepInactive(sweepCtx, e, st, time.Hour)
	if m := cfg.MetricsListen(); m != "" {
		// /metrics answers without a login, so it has a listener of its own (loopback by
		// default); an address already taken fails the start, and the main server's end ends it.
		ln, err := net.Listen("tcp", m)
		if err != nil {
			return fmt.Errorf("--metrics-addr %s: %w", m, err)
		}
		mctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- srv.ServeMetrics(mctx, ln, cfg.ShutdownTimeout) }()
		defer func() {
			stop()
			if err := <-done; err != nil {
				e.log.Error("metrics listener", "err", err)
			}
		}()
		mainReady := ready
		ready = func(a net.Addr) {
			if mainReady != nil {
				mainReady(a)
			}
			fmt.Fprintf(e.stdout, "监控指标 http://%s/metrics（无需登录：只应在本机或监控网络上可达）\n", ln.Addr())
		}
	}
	return srv.ListenAndServe(ctx, cfg.Addr, cfg.ShutdownTimeout, ready)
}

// sweepInactive disables staff accounts unused for store.InactiveAfter, at start and then every
// interval, until ctx ends. Every instance may run it: the sweep is idempotent.
func sweepInactive(ctx context.Context, e *env, st *store.Store, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := st.DisableInactiveStaff(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			e.log.Error("inactive-account sweep", "err", err)
		case n > 0:
			e.log.Info("disabled inactive staff accounts", "count", n, "after_days", int(store.InactiveAfter.Hours()/24))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
