#!/usr/bin/env bash
# Replays the saved corpus of each libFuzzer harness, without fuzzing.
#
#   tests/fuzz/replay.sh build/fuzz/fuzz_frame build/fuzz/fuzz_cql ...
#
# For a harness build/fuzz/fuzz_X, every regular file under
# tests/fuzz/corpus/fuzz_X/ is one input. libFuzzer executes each input
# passed as a file argument exactly once and exits non-zero on the first
# crash, leak, timeout or sanitizer report, so the inputs are run in
# batches; a batch that fails is re-run one file at a time to name the
# failing inputs. (`BIN -runs=0 DIR` would also execute the whole
# directory once, but stops at the first crash and writes crash-* files
# into the current directory.)
#
# Prints one line per failing input, a line per harness and, last,
#     fuzz-replay: N passed, N failed
# where N counts inputs. Exits non-zero if any input failed or a harness
# is missing. A harness without corpus directory counts nothing.
#
# FUZZ_REPLAY_TIMEOUT: per-input libFuzzer -timeout in seconds (default 25).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
per_input_timeout=${FUZZ_REPLAY_TIMEOUT:-25}
batch_size=200
passed=0
failed=0
bad_harness=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_inputs() { # BIN FILE... -> exit status of one libFuzzer run
  local bin=$1; shift
  "$bin" -timeout="$per_input_timeout" -rss_limit_mb=4096 \
         -artifact_prefix="$work/" "$@" >"$work/out" 2>&1
}

if [ "$#" -eq 0 ]; then
  echo "fuzz-replay: no harnesses given"
fi

for bin in "$@"; do
  name=$(basename "$bin")
  if [ ! -x "$bin" ]; then
    echo "FAIL $name: harness not built ($bin)"
    bad_harness=$((bad_harness + 1))
    continue
  fi
  corpus="$root/tests/fuzz/corpus/$name"
  if [ ! -d "$corpus" ]; then
    echo "skip $name: no corpus directory tests/fuzz/corpus/$name"
    continue
  fi
  mapfile -d '' files < <(find "$corpus" -type f -print0 | sort -z)
  h_pass=0
  h_fail=0
  i=0
  while [ "$i" -lt "${#files[@]}" ]; do
    batch=("${files[@]:i:batch_size}")
    i=$((i + batch_size))
    if run_inputs "$bin" "${batch[@]}"; then
      h_pass=$((h_pass + ${#batch[@]}))
      continue
    fi
    # Something in this batch failed: find out which inputs.
    for f in "${batch[@]}"; do
      if run_inputs "$bin" "$f"; then
        h_pass=$((h_pass + 1))
      else
        h_fail=$((h_fail + 1))
        echo "FAIL $name: ${f#"$root"/}"
        grep -E 'ERROR: |SUMMARY: |runtime error:|==ABORTING|timeout' "$work/out" | head -n 5 | sed 's/^/    | /'
        echo "    | reproduce: $bin ${f#"$root"/}"
      fi
    done
  done
  echo "$name: $h_pass passed, $h_fail failed (${#files[@]} inputs)"
  passed=$((passed + h_pass))
  failed=$((failed + h_fail))
done

echo "fuzz-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$bad_harness" -eq 0 ]
