#!/usr/bin/env bash
# Runs every test of the solution (installing what the tests need first) and ends with one
# "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || exit 1
log=$(mktemp)
dotnet test HardNegOT.Kernels.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 1, ...").
read -r failed passed skipped < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' \
  | awk '{f+=$1; p+=$2; s+=$3} END {print f+0, p+0, s+0}')
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
