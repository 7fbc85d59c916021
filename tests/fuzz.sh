#!/usr/bin/env bash
# fuzz.sh runs one fuzz target: fuzz.sh TARGET PACKAGE, for FUZZTIME with
# FUZZMINIMIZE to minimise (make fuzz sets both; GO names the go command).
#
# Go 1.26's fuzz coordinator can end a run whose time is up with a bare
# "context deadline exceeded" and a non-zero exit although nothing failed
# (golang/go#75804, fixed in Go 1.27): on a loaded machine a worker is
# still busy when the deadline passes. Such a run is tried once more. A
# real finding always says so ("Failing input written to", a hang, a panic
# or a test's own failure), and is never tried again.
set -u
target=$1
pkg=$2
go=${GO:-go}
for attempt in 1 2; do
  log=$(mktemp)
  "$go" test -run='^$' -fuzz="^${target}\$" -fuzztime="${FUZZTIME:-10s}" -fuzzminimizetime="${FUZZMINIMIZE:-2s}" "$pkg" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # The run's own failure lines, but for the coordinator's.
  real=$(grep -E 'Failing input written to|hung or terminated|panic:|^\s+\S+_test\.go:[0-9]+:' "$log")
  flake=$(grep -c 'context deadline exceeded' "$log")
  rm -f "$log"
  if [ "$status" -eq 0 ]; then
    exit 0
  fi
  if [ -n "$real" ] || [ "$flake" -eq 0 ] || [ "$attempt" -eq 2 ]; then
    exit "$status"
  fi
  echo "fuzz.sh: $target ended with Go's fuzz deadline race (golang/go#75804) and no finding; running it once more" >&2
done
