#!/usr/bin/env bash
# Says once how many tests skipped and why, from the log CTest keeps of its
# last run (default: build/Testing/Temporary/LastTest.log). scripts/test.sh
# calls it after ctest; it can also be run by hand after any ctest run.
# A skipped GoogleTest prints "FILE:LINE: Skipped" and then its reason.
set -euo pipefail
LOG="${1:-build/Testing/Temporary/LastTest.log}"
[ -f "$LOG" ] || { echo "skip summary: no CTest log at $LOG"; exit 0; }
awk '
  /: Skipped$/ {
    reason = "(no reason given)"
    if ((getline line) > 0 && line !~ /^\[  SKIPPED \]/) reason = line
    count[reason]++
    total++
  }
  END {
    if (total == 0) { print "skip summary: no test skipped"; exit }
    printf "skip summary: %d test%s skipped:\n", total, total == 1 ? "" : "s"
    for (r in count) printf "  %d x %s\n", count[r], r
  }' "$LOG" | { read -r head; echo "$head"; sort -rn; }
