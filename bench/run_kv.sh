#!/usr/bin/env bash
# Starts the release server (build/ringdb) on a free 127.0.0.1 port with a
# temp data dir, runs build/bench/bench_kv against it (prepared single-row
# INSERT and SELECT with 1, 16 and 64 requests in flight), stops the server.
#
#   bench/run_kv.sh [--seconds S] [--smp N] [--connections N] [--value-size BYTES]
#                   (make build/ringdb build/bench/bench_kv first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=5
smp=2
bench_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --connections|--value-size) bench_args+=("$1" "$2"); shift 2 ;;
    *) echo "usage: $0 [--seconds S] [--smp N] [--connections N] [--value-size BYTES]" >&2; exit 2 ;;
  esac
done
. "$root/bench/lib.sh"
bench_start run_kv "$smp" "$root/build/bench/bench_kv"

echo "run_kv: ringdb (--smp $smp) on 127.0.0.1:$port, data in $dir"
rc=0
"$root/build/bench/bench_kv" --host 127.0.0.1 --port "$port" --seconds "$seconds" "${bench_args[@]+"${bench_args[@]}"}" || rc=$?
if [ "$rc" -ne 0 ]; then bench_fail run_kv "$rc"; fi
exit "$rc"
