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
server="$root/build/ringdb"
bench="$root/build/bench/bench_kv"
for f in "$server" "$bench"; do
  [ -x "$f" ] || { echo "run_kv: $f missing (make build/ringdb build/bench/bench_kv)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/ringdb-bench-kv.XXXXXX)
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
  kill -0 "$pid" 2>/dev/null || { echo "run_kv: ringdb exited:"; tail -20 "$dir/ringdb.log"; exit 1; }
  sleep 0.1
done
grep -q "ringdb ready" "$dir/ringdb.log" || { echo "run_kv: ringdb not ready after 30 s:"; tail -20 "$dir/ringdb.log"; exit 1; }

echo "run_kv: ringdb (--smp $smp) on 127.0.0.1:$port, data in $dir"
rc=0
"$bench" --host 127.0.0.1 --port "$port" --seconds "$seconds" "${bench_args[@]+"${bench_args[@]}"}" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "run_kv: bench_kv failed (exit $rc); last lines of the server log:"
  tail -20 "$dir/ringdb.log"
fi
exit "$rc"
