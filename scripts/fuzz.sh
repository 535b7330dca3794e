#!/usr/bin/env bash
# Runs every fuzz target for a short fixed time (FUZZTIME, 10s each by default) and prints a
# summary line per target. A crasher fails the run and lands in the package's
# testdata/fuzz/FuzzName/ directory: commit it with the fix, and it runs as a regression seed in
# every plain `go test` from then on.
#
# FUZZ_SKIP_DB=1 (make test sets it) fuzzes only the packages that do not link a database driver.
# Fuzzing instruments a package's whole dependency tree, and a package that reaches the SQLite
# driver (modernc.org/sqlite: C transpiled to Go) builds it anew with the instrumentation: about
# 200 s of CPU on a cold cache for the store's target alone (measured 2026-12-03, `/usr/bin/time`,
# empty GOCACHE), for five seconds of fuzzing. Those targets' seed corpora still run in every
# `go test` as regression tests; `make fuzz` fuzzes every target.
set -euo pipefail
FUZZTIME=${FUZZTIME:-10s}
summary=()
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  grep -q '^func Fuzz' "$dir"/*_test.go 2>/dev/null || continue
  # The list is read whole before grep looks at it: piped, grep -q quit at its first match, go
  # list could then fail writing the rest, and under pipefail that read as no match (a run on
  # 2026-12-05 fuzzed internal/importer, the SQLite driver instrumented with it).
  if [ "${FUZZ_SKIP_DB:-}" = 1 ] && deps=$(go list -test -deps "$pkg") && grep -q -x -E 'modernc.org/sqlite|github.com/jackc/pgx/v5' <<<"$deps"; then
    summary+=("$(printf '%-40s %-20s %6s  skipped: links a database driver (make fuzz runs it)' "$pkg" "*" "-")")
    continue
  fi
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "fuzz $pkg $f ($FUZZTIME)"
    # The go command sometimes ends a fuzz run that found nothing with "context deadline
    # exceeded" when the time runs out mid-exchange with a worker; a real crash always writes
    # "Failing input written to". Such a run is tried once more before it counts as a failure.
    ok=0
    for try in 1 2; do
      if out=$(go test -run='^$' -fuzz="^$f\$" -fuzztime="$FUZZTIME" "$pkg" 2>&1); then ok=1; break; fi
      if grep -q 'Failing input written to' <<<"$out" || ! grep -q 'context deadline exceeded' <<<"$out"; then break; fi
      echo "fuzz $pkg $f: the run ended on a deadline without a failing input; trying once more"
    done
    if [ $ok -eq 1 ]; then
      execs=$(grep -o 'execs: [0-9]*' <<<"$out" | tail -1 | cut -d' ' -f2 || true)
      summary+=("$(printf '%-40s %-20s %6s  %10s execs  0 crashes' "$pkg" "$f" "$FUZZTIME" "${execs:-?}")")
    else
      echo "$out"
      summary+=("$(printf '%-40s %-20s %6s  CRASH (see %s/testdata/fuzz/%s)' "$pkg" "$f" "$FUZZTIME" "$dir" "$f")")
      status=1
    fi
  done
done
printf '%s\n' "${summary[@]}"
exit $status
