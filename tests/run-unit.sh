#!/usr/bin/env bash
# Runs each cmocka unit-test binary given on the command line, prints one
# result line per binary and, last, the summary line
#     unit: N passed, N failed
# Exits non-zero when any binary failed (non-zero exit, crash, sanitizer
# report or timeout). A binary's own output is shown only when it failed.
#
#   tests/run-unit.sh build/test/unit/test_*
#
# UNIT_TIMEOUT (seconds, default 300) bounds each binary.
set -u

timeout_s=${UNIT_TIMEOUT:-300}
passed=0
failed=0
failed_names=()

# Sanitizers: fail hard on the first report, keep leak checking on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "$#" -eq 0 ]; then
  echo "unit: no test binaries given"
fi

for bin in "$@"; do
  name=$(basename "$bin")
  if [ ! -x "$bin" ]; then
    echo "FAIL $name (not an executable file: $bin)"
    failed=$((failed + 1)); failed_names+=("$name")
    continue
  fi
  out=$(mktemp)
  start=$(date +%s.%N)
  timeout --kill-after=10 "$timeout_s" "$bin" >"$out" 2>&1
  rc=$?
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  if [ "$rc" -eq 0 ] && ! grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$out"; then
    echo "ok   $name (${secs}s)"
    passed=$((passed + 1))
  else
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      why="timed out after ${timeout_s}s"
    elif [ "$rc" -eq 0 ]; then
      why="sanitizer report"
    else
      why="exit $rc"
    fi
    echo "FAIL $name ($why, ${secs}s)"
    sed 's/^/    | /' "$out"
    failed=$((failed + 1)); failed_names+=("$name")
  fi
  rm -f "$out"
done

if [ "$failed" -gt 0 ]; then
  echo "failed: ${failed_names[*]}"
fi
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
