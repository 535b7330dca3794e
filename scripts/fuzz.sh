#!/usr/bin/env bash
# Runs every fuzz target for a short fixed time; crashers land in testdata/fuzz as regression seeds.
set -euo pipefail
FUZZTIME=${FUZZTIME:-10s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "fuzz $pkg $f ($FUZZTIME)"
    go test -run='^$' -fuzz="^$f\$" -fuzztime="$FUZZTIME" "$pkg"
  done
done
