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
server="$root/build/ringdb"
bench="$root/build/bench/bench_scan"
for f in "$server" "$bench"; do
  [ -x "$f" ] || { echo "run_scan: $f missing (make build/ringdb build/bench/bench_scan)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/ringdb-bench-scan.XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

"$server" --address 127.0.0.1 --port "$port" --data-dir "$dir/data" --smp "$smp" 2>"$dir/ringdb.log" &
pid=$!
for _ in $(seq 1 300); do
  grep -q "ringdb ready" "$dir/ringdb.log" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "run_scan: ringdb exited:"; tail -20 "$dir/ringdb.log"; exit 1; }
  sleep 0.1
done
grep -q "ringdb ready" "$dir/ringdb.log" || { echo "run_scan: ringdb not ready after 30 s:"; tail -20 "$dir/ringdb.log"; exit 1; }

echo "run_scan: ringdb (--smp $smp, pid $pid) on 127.0.0.1:$port, data in $dir"
rc=0
"$bench" --host 127.0.0.1 --port "$port" --server-pid "$pid" "${bench_args[@]+"${bench_args[@]}"}" || rc=$?
echo "run_scan: data dir $(du -sh "$dir" | cut -f1) before cleanup"
if [ "$rc" -ne 0 ]; then
  echo "run_scan: bench_scan failed (exit $rc); last lines of the server log:"
  tail -20 "$dir/ringdb.log"
fi
exit "$rc"
