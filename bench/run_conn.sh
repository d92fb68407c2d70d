#!/usr/bin/env bash
# Starts the release server (build/ringdb) on a free 127.0.0.1 port with a
# temp data dir, runs build/bench/bench_conn against it, stops the server.
#
#   bench/run_conn.sh [--seconds S] [--smp N]      (make build/ringdb build/bench/bench_conn first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=5
smp=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds S] [--smp N]" >&2; exit 2 ;;
  esac
done
. "$root/bench/lib.sh"
bench_start run_conn "$smp" "$root/build/bench/bench_conn"

echo "run_conn: ringdb (--smp $smp) on 127.0.0.1:$port"
"$root/build/bench/bench_conn" --host 127.0.0.1 --port "$port" --seconds "$seconds"
