#!/usr/bin/env bash
# Starts the release server (build/ringdb) on a free 127.0.0.1 port with a
# temp data dir under /tmp, runs build/bench/bench_scan against it (loads
# 1M rows, then times SELECT * with paging, a 1% ALLOW FILTERING scan and
# count(*), with the server's RSS), stops the server and removes the dir.
#
#   bench/run_scan.sh [--smp N] [--rows N] [--runs N] [--page-size N]
#                     [--rows-per-partition R] [--connections N] [--depth D]
#                     [--text-size BYTES] [--protocol 0|4|5] [--no-count]
#                     (make build/ringdb build/bench/bench_scan first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
smp=2
bench_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smp) smp=$2; shift 2 ;;
    --rows|--runs|--page-size|--rows-per-partition|--connections|--depth|--text-size|--protocol)
      bench_args+=("$1" "$2"); shift 2 ;;
    --no-count) bench_args+=("$1"); shift ;;
    *) echo "usage: $0 [--smp N] [--rows N] [--runs N] [--page-size N] [--rows-per-partition R]" \
            "[--connections N] [--depth D] [--text-size BYTES] [--protocol 0|4|5] [--no-count]" >&2
       exit 2 ;;
  esac
done
. "$root/bench/lib.sh"
bench_start run_scan "$smp" "$root/build/bench/bench_scan"

echo "run_scan: ringdb (--smp $smp, pid $pid) on 127.0.0.1:$port, data in $dir"
rc=0
"$root/build/bench/bench_scan" --host 127.0.0.1 --port "$port" --server-pid "$pid" "${bench_args[@]+"${bench_args[@]}"}" || rc=$?
echo "run_scan: data dir $(du -sh "$dir" | cut -f1) before cleanup"
if [ "$rc" -ne 0 ]; then bench_fail run_scan "$rc"; fi
exit "$rc"
