#!/usr/bin/env bash
# Runs every test of `make test` (the Makefile builds the assets first): the static checks
# (make check), the race line (every package under -race but those of RACE_EXCLUDED), the
# second line (RACE_EXCLUDED without -race: the authorization matrix, the browser tests, the
# demo cities and the pages), and the fuzz targets (scripts/fuzz.sh).
#
# They run side by side (the second line is light enough in memory since the pages' templates
# are parsed once per process and PostgreSQL stores are copies of a migrated template database):
#
#   start:               vet  |  race line  |  Chromium install (network, dpkg)
#   vet done:            lint (staticcheck, gosec, go.mod), then, Chromium installed, the second line
#   lint done:           fuzz targets
#   race line done:      the generics check of RACE_GCFLAGS (uninstrumented, below)
#
# How long it takes, machine by machine, and what each change to this layout saved:
# docs/benchmarks.md, "make test: the suite's time".
#
set -uo pipefail
GO=${GO:-go}
# Every process of the run (the go command, the compiler, the linters, the test binaries)
# collects its heap when it has grown fourfold rather than twofold: the run is bound by CPU, and
# the memory is there (the largest process peaked at 2.5 GB of 24). Measured alone, 2026-12-05:
# internal/store under -race 123 -> 114 s of CPU, `go build ./...` on an empty cache 219 -> 207.
# A GOGC set by the caller wins.
export GOGC=${GOGC:-400}
# (No apostrophes in these messages: inside "${VAR:?...}" bash reads one as a quote.)
: "${RACE_PKGS:?the packages of the race line (the Makefile sets it)}"
: "${SECOND_PKGS:?the packages of the second line (the Makefile sets it)}"
: "${RACE_GCFLAGS:?the compiler flags of the race line (the Makefile sets it and says why)}"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
t0=$(date +%s)
declare -A pid started

# uninstrumented: RACE_GCFLAGS is sound only for a package that instantiates no generic code
# (the Makefile says why). It fails when the package RACE_GCFLAGS names does, so that a newer
# driver that made it so fails with the reason, not only with races that are not.
uninstrumented() {
	local pkg=${RACE_GCFLAGS%%=*} archive syms
	archive=$("$GO" list -race -gcflags="$RACE_GCFLAGS" -export -f '{{.Export}}' "$pkg") || return 1
	syms=$("$GO" tool nm "$archive") || return 1
	if grep -q 'go\.shape' <<<"$syms"; then
		echo "$pkg instantiates generic code: built without -race, its copies replace the instrumented ones in the whole test binary (Makefile, RACE_GCFLAGS)"
		return 1
	fi
	echo "$pkg, built without -race, instantiates no generic code"
}

# start NAME CMD...: runs CMD in the background, its output to NAME's log.
start() {
	local name=$1
	shift
	started[$name]=$(date +%s)
	echo "--- $name: started at +$(($(date +%s) - t0)) s"
	("$@" >"$logs/$name.log" 2>&1; echo $? >"$logs/$name.rc") &
	pid[$name]=$!
}

# finish NAME: waits for NAME and prints its log and result.
finish() {
	local name=$1
	wait "${pid[$name]}" 2>/dev/null
	local rc
	rc=$(cat "$logs/$name.rc" 2>/dev/null || echo 1)
	local took=$(($(date +%s) - started[$name]))
	echo "=== $name: $([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)") in ${took} s (ended at +$(($(date +%s) - t0)) s)"
	cat "$logs/$name.log"
	echo "$name $rc $took" >>"$logs/summary"
}

# go vet compiles every package without -race, as the second line does: run side by side, the
# two go commands compiled the same packages twice, neither finding in the build cache what the
# other had not finished (the go command shares no work in flight between processes). So vet
# runs first, beside the race line, and the second line and the rest of the static checks (lint:
# staticcheck and gosec, whose loaders compile the same packages) start when it is done and find
# them compiled. After vet, the second line's compile took 16 s of CPU
# against 265 s on an empty cache (2026-12-05, 2 cores).
start vet make --no-print-directory vet
# -timeout is a test binary's limit, there to end a hang. 30m was too close on 2026-12-04: on a
# slower machine of the same kind (twice the CPU seconds for the same tests) internal/store
# took 26:18 under -race and the matrix 27:52, side by side; a hang still ends well inside
# CI's 90 minutes.
# -vet=off: go test would vet each package first, a part of what `make check` (go vet ./...,
# test files included) runs beside the two lines.
# shellcheck disable=SC2086 # the package lists are word lists
start race "$GO" test -race -gcflags="$RACE_GCFLAGS" -vet=off -count=1 -timeout 50m $RACE_PKGS
start chromium scripts/ensure-chromium.sh

finish vet
start lint make --no-print-directory lint
finish chromium
# shellcheck disable=SC2086
start second "$GO" test -vet=off -count=1 -timeout 50m $SECOND_PKGS
finish lint
start fuzz env FUZZTIME="${FUZZTIME:-5s}" FUZZ_SKIP_DB="${FUZZ_SKIP_DB:-1}" scripts/fuzz.sh
finish race
start generics uninstrumented
finish generics
finish fuzz
finish second

echo "=== make test: $(($(date +%s) - t0)) s"
status=0
while read -r name rc took; do
	printf '  %-9s %-7s %5d s\n' "$name" "$([ "$rc" = 0 ] && echo passed || echo FAILED)" "$took"
	[ "$rc" = 0 ] || status=1
done <"$logs/summary"
exit $status
