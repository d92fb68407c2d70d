# bench/lib.sh -- sourced by the bench/run_*.sh runners: one way to start the
# release server for a benchmark and to stop it.
#
#   bench_start NAME SMP BENCH_BIN
# checks build/ringdb and BENCH_BIN exist, starts build/ringdb on a free
# 127.0.0.1 port with a temp data dir under /tmp, waits for "ringdb ready"
# (30 s), and sets $dir, $port and $pid; at exit the server gets SIGTERM
# (SIGKILL after 10 s) and the dir is removed. bench_fail NAME RC prints the
# end of the server log when the benchmark failed.

bench_start() {
  local name=$1 smp=$2 bench=$3 root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  server="$root/build/ringdb"
  for f in "$server" "$bench"; do
    [ -x "$f" ] || { echo "$name: $f missing (make build/ringdb $bench)" >&2; exit 1; }
  done
  dir=$(mktemp -d "/tmp/ringdb-$name.XXXXXX")
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  pid=
  trap bench_cleanup EXIT
  "$server" --address 127.0.0.1 --port "$port" --data-dir "$dir/data" --smp "$smp" 2>"$dir/ringdb.log" &
  pid=$!
  for _ in $(seq 1 300); do
    grep -q "ringdb ready" "$dir/ringdb.log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "$name: ringdb exited:"; tail -20 "$dir/ringdb.log"; exit 1; }
    sleep 0.1
  done
  echo "$name: ringdb not ready after 30 s:"
  tail -20 "$dir/ringdb.log"
  exit 1
}

bench_cleanup() {
  if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -rf "${dir:-/nonexistent}"
}

bench_fail() {
  echo "$1: benchmark failed (exit $2); last lines of the server log:"
  tail -20 "$dir/ringdb.log"
}
