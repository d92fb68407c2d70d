#!/usr/bin/env bash
# Side-by-side benchmark on this machine: ringdb (one node, RF=1, CL=ONE,
# commitlog periodic) driven by build/ringdb-stress, against PostgreSQL
# (Debian's, started here in a temp dir on 127.0.0.1, synchronous_commit=off)
# driven by pgbench with the equivalent prepared single-row upsert and
# select by primary key: same key count, 100-byte values, 16 and 64 clients.
# Then ringdb's p99 at half of its peak rate, and server instructions per
# operation (perf stat on the server process if the CPU counters are
# readable, else callgrind on the server) for a cached read and a write.
#
#   bench/vs_postgres.sh [--keys N] [--seconds S] [--smp N] [--instr-ops N]
#                        [--no-make] [--keep]
#
# Installs what is missing (apt-get: postgresql, postgresql-contrib,
# linux-perf, valgrind) only when it is not there. Runs as root or not
# (PostgreSQL runs as the 'postgres' user when we are root). Everything lives
# in one mktemp dir under /tmp, removed at exit unless --keep.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

keys=100000
seconds=10
smp=2
instr_ops=20000
do_make=1
keep=0
clients=(16 64)
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --instr-ops) instr_ops=$2; shift 2 ;;
    --no-make) do_make=0; shift ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--keys N] [--seconds S] [--smp N] [--instr-ops N] [--no-make] [--keep]" >&2; exit 2 ;;
  esac
done

# Targets (from the issue).
T_WRITE_RATIO=5
T_READ_RATIO=3
T_P99_MS=1
T_INSTR=30000

log() { echo "vs_postgres: $*" >&2; }
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# ---------------------------------------------------------------- install --
pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pgbench" ] && echo "$d"
}
need=()
[ -n "$(pg_bindir || true)" ] || need+=(postgresql postgresql-contrib)
command -v valgrind >/dev/null || need+=(valgrind)
perf_ok=1
if ! command -v perf >/dev/null || ! perf --version >/dev/null 2>&1; then
  need+=(linux-perf)
  perf_ok=0
fi
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  $SUDO apt-get update -qq || true
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
PGBIN=$(pg_bindir) || { log "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin"; exit 1; }

if [ "$do_make" -eq 1 ]; then
  log "make build/ringdb build/ringdb-stress"
  make -C "$root" -s build/ringdb build/ringdb-stress >&2 ||
    log "make failed; using the binaries already in build/"
fi
for f in "$root/build/ringdb" "$root/build/ringdb-stress"; do
  [ -x "$f" ] || { log "$f missing (run make)"; exit 1; }
done

# ------------------------------------------------------------------ setup --
dir=$(mktemp -d /tmp/ringdb-vs-pg.XXXXXX)
chmod 755 "$dir"
# Private copies, so a rebuild in the tree during the run changes nothing.
mkdir "$dir/bin"
cp "$root/build/ringdb" "$root/build/ringdb-stress" "$dir/bin/"
RINGDB="$dir/bin/ringdb"
STRESS="$dir/bin/ringdb-stress"

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

srv_pid=
pg_up=0
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_ringdb() {
  if [ -n "$srv_pid" ] && kill -0 "$srv_pid" 2>/dev/null; then
    kill -TERM "$srv_pid"
    for _ in $(seq 1 300); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$srv_pid" 2>/dev/null && kill -KILL "$srv_pid"
    wait "$srv_pid" 2>/dev/null || true
  fi
  srv_pid=
}
stop_pg() {
  if [ "$pg_up" -eq 1 ]; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    pg_up=0
  fi
}
cleanup() {
  stop_ringdb
  stop_pg
  if [ "$keep" -eq 1 ]; then log "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_ringdb NAME [wrapper...]: starts the server (optionally under a
# wrapper such as valgrind), waits for "ringdb ready", sets srv_pid/port.
start_ringdb() {
  local name=$1; shift
  port=$(free_port)
  "$@" "$RINGDB" --address 127.0.0.1 --port "$port" --data-dir "$dir/$name.data" --smp "$smp" \
    --set commitlog_sync=periodic --set commitlog_sync_period=10000ms \
    >"$dir/$name.log" 2>&1 &
  srv_pid=$!
  for _ in $(seq 1 1200); do
    grep -q "ringdb ready" "$dir/$name.log" 2>/dev/null && return 0
    kill -0 "$srv_pid" 2>/dev/null || { log "ringdb exited:"; tail -20 "$dir/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  log "ringdb not ready after 120 s:"; tail -20 "$dir/$name.log" >&2; exit 1
}

# stress OUT ARGS...: one ringdb-stress run, output kept in $dir/OUT.
stress() {
  local out=$1; shift
  "$STRESS" "$@" -node 127.0.0.1 -port native="$port" -col 'n=FIXED(1)' 'size=FIXED(100)' \
    >"$dir/$out" 2>&1 || { log "ringdb-stress $* failed:"; tail -20 "$dir/$out" >&2; exit 1; }
  local errs
  errs=$(field "$dir/$out" "Total errors")
  [ "${errs:-0}" = 0 ] || log "warning: $out: $errs errors (see $dir/$out)"
}
# field FILE "Label": the number on ringdb-stress's summary line "Label : N unit".
field() {
  awk -F' : ' -v l="$2" 'index($0, l) == 1 { v = $2; gsub(/[ ,]/, "", v); sub(/[a-z\/]+$/, "", v); print v }' "$1" | tail -1
}

# Server CPU time (user+system, clock ticks) from /proc: ringdb's process
# (all its threads); for PostgreSQL the postmaster, its reaped children
# (backends that have exited) and its live children.
hz=$(getconf CLK_TCK)
ringdb_ticks() { awk '{ print $14 + $15 }' "/proc/$srv_pid/stat"; }
pg_ticks() {
  local pm t=0 c
  pm=$(head -1 "$dir/pg/data/postmaster.pid")
  t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
  for c in $(ps -o pid= --ppid "$pm"); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
# us_per_op TICKS_BEFORE TICKS_AFTER OPS_PER_S
us_per_op() { awk -v a="$1" -v b="$2" -v r="$3" -v s="$seconds" -v hz="$hz" 'BEGIN { if (r > 0) printf "%.1f", (b - a) / hz * 1e6 / (r * s); else print "n/a" }'; }

echo "== vs_postgres: $(date -u +%FT%TZ) on $(hostname), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   ringdb $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$root" status --porcelain -- src 2>/dev/null)" ] && echo ' (+ uncommitted src changes)'), --smp $smp; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
echo "   $keys keys, 100-byte values, ${seconds} s per measurement"

# ------------------------------------------------------------------ ringdb --
declare -A R P
start_ringdb ringdb
log "ringdb on 127.0.0.1:$port (pid $srv_pid); preloading $keys keys"
stress preload.txt write n="$keys" cl=ONE -pop seq=1.."$keys" -rate threads=64
for op in write read; do
  for c in "${clients[@]}"; do
    log "ringdb $op, $c clients"
    t0=$(ringdb_ticks)
    stress "ringdb_${op}_$c.txt" "$op" duration="${seconds}s" cl=ONE -pop "dist=UNIFORM(1..$keys)" -rate threads="$c"
    t1=$(ringdb_ticks)
    R[$op,$c]=$(field "$dir/ringdb_${op}_$c.txt" "Op rate")
    R[$op,$c,p99]=$(field "$dir/ringdb_${op}_$c.txt" "Latency 99th percentile")
    R[$op,$c,cpu]=$(us_per_op "$t0" "$t1" "${R[$op,$c]}")
  done
done
# p99 at half of peak: the thread count that gave the peak, throttled to half.
for op in write read; do
  best=${clients[0]}
  for c in "${clients[@]}"; do
    awk -v a="${R[$op,$c]}" -v b="${R[$op,$best]}" 'BEGIN { exit !(a > b) }' && best=$c
  done
  half=$(awk -v p="${R[$op,$best]}" 'BEGIN { printf "%d", p / 2 }')
  log "ringdb $op throttled to $half/s ($best clients)"
  stress "ringdb_${op}_half.txt" "$op" duration="${seconds}s" cl=ONE -pop "dist=UNIFORM(1..$keys)" \
    -rate threads="$best" throttle="$half/s"
  R[$op,half]=$half
  R[$op,half,rate]=$(field "$dir/ringdb_${op}_half.txt" "Op rate")
  R[$op,half,p50]=$(field "$dir/ringdb_${op}_half.txt" "Latency median")
  R[$op,half,p99]=$(field "$dir/ringdb_${op}_half.txt" "Latency 99th percentile")
  R[$op,half,p999]=$(field "$dir/ringdb_${op}_half.txt" "Latency 99.9th percentile")
done
stop_ringdb

# -------------------------------------------------------------- PostgreSQL --
mkdir -p "$dir/pg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pg"
pgport=$(free_port)
log "initdb + start PostgreSQL on 127.0.0.1:$pgport"
as_pg "$PGBIN/initdb" -D "$dir/pg/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
  { log "initdb failed:"; tail -20 "$dir/initdb.log" >&2; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -c unix_socket_directories=$dir/pg -c synchronous_commit=off -c max_connections=200 -c shared_buffers=256MB" \
  >/dev/null || { log "PostgreSQL did not start:"; tail -20 "$dir/pg/server.log" >&2; exit 1; }
pg_up=1
psql() { "$PGBIN/psql" -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
val=$(head -c 400 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-100)
[ ${#val} -eq 100 ] || { log "could not make a 100-byte value"; exit 1; }
psql -c "CREATE TABLE t (k bigint PRIMARY KEY, v text NOT NULL)" \
  -c "INSERT INTO t SELECT g, '$val' FROM generate_series(1, $keys) g" \
  -c "VACUUM ANALYZE t" -c "CHECKPOINT"
cat >"$dir/pg_write.sql" <<'EOF'
\set k random(1, :keys)
INSERT INTO t (k, v) VALUES (:k, :v) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v;
EOF
cat >"$dir/pg_read.sql" <<'EOF'
\set k random(1, :keys)
SELECT v FROM t WHERE k = :k;
EOF
for op in write read; do
  for c in "${clients[@]}"; do
    log "PostgreSQL $op, $c clients"
    t0=$(pg_ticks)
    "$PGBIN/pgbench" -h 127.0.0.1 -p "$pgport" -U postgres -n -M prepared -c "$c" -j 2 -T "$seconds" \
      -D keys="$keys" -D v="$val" -f "$dir/pg_$op.sql" postgres >"$dir/pg_${op}_$c.txt" 2>&1 ||
      { log "pgbench failed:"; tail -20 "$dir/pg_${op}_$c.txt" >&2; exit 1; }
    P[$op,$c]=$(awk '/^tps = / { printf "%d", $3 }' "$dir/pg_${op}_$c.txt")
    for _ in $(seq 1 50); do # until the backends have exited and been reaped
      [ "$(ps -o args= --ppid "$(head -1 "$dir/pg/data/postmaster.pid")" | grep -c '127\.0\.0\.1')" -eq 0 ] && break
      sleep 0.1
    done
    t1=$(pg_ticks)
    P[$op,$c,cpu]=$(us_per_op "$t0" "$t1" "${P[$op,$c]}")
    P[$op,$c,lat]=$(awk '/^latency average = / { print $4 }' "$dir/pg_${op}_$c.txt")
  done
done
stop_pg

# ------------------------------------------------- instructions per op --
# perf stat on the server if the counter exists here, else callgrind.
method=callgrind
if [ "$perf_ok" -eq 1 ] || command -v perf >/dev/null; then
  if perf stat -e instructions -x, -o "$dir/perfprobe" -- true >/dev/null 2>&1 &&
    grep -Eq '^[0-9]+,' "$dir/perfprobe"; then
    method=perf
  fi
fi
declare -A I
instr_phases=("read 16" "read 64" "write 16" "write 64")
if [ "$method" = perf ]; then
  log "instructions: perf stat -e instructions -p <server pid>"
  start_ringdb instr
  stress instr_preload.txt write n="$keys" cl=ONE -pop seq=1.."$keys" -rate threads=64
  for ph in "${instr_phases[@]}"; do
    set -- $ph
    perf stat -e instructions -x, -o "$dir/perf_$1_$2.txt" -p "$srv_pid" &
    perfpid=$!
    sleep 0.5
    stress "instr_$1_$2.txt" "$1" n="$instr_ops" cl=ONE -pop "dist=UNIFORM(1..$keys)" -rate threads="$2"
    kill -INT "$perfpid"; wait "$perfpid" 2>/dev/null || true
    n=$(awk -F, '/instructions/ { print $1 }' "$dir/perf_$1_$2.txt")
    I[$1,$2]=$(awk -v n="$n" -v o="$instr_ops" 'BEGIN { printf "%d", n / o }')
  done
  stop_ringdb
  method_desc="perf stat -e instructions -p PID (user+kernel, includes the 0.5 s idle before each run)"
else
  log "instructions: CPU counters not readable here (perf: instructions <not supported>); using callgrind"
  start_ringdb instr valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out"
  log "preloading $keys keys under callgrind (slow)"
  stress instr_preload.txt write n="$keys" cl=ONE -pop seq=1.."$keys" -rate threads=64
  # Each phase runs twice, base_ops then instr_ops operations, and the
  # difference is divided by (instr_ops - base_ops): that cancels the fixed
  # cost of a ringdb-stress run (connect, STARTUP, schema checks, PREPARE).
  base_ops=$((instr_ops / 10))
  k=0
  cg_count() { # cg_count OUT ARGS...: sets cg_ir to the server's Ir during one stress run
    local out=$1; shift
    callgrind_control -z "$srv_pid" >/dev/null 2>&1
    stress "$out.txt" "$@"
    callgrind_control -d "$srv_pid" >/dev/null 2>&1
    k=$((k + 1))
    for _ in $(seq 1 100); do [ -s "$dir/cg.out.$k" ] && break; sleep 0.1; done
    mv "$dir/cg.out.$k" "$dir/$out.out"
    cg_ir=$(awk '/^summary:/ { print $2 }' "$dir/$out.out")
  }
  for ph in "${instr_phases[@]}"; do
    set -- $ph
    cg_count "cg_$1_$2_base" "$1" n="$base_ops" cl=ONE -pop "dist=UNIFORM(1..$keys)" -rate threads="$2"
    a=$cg_ir
    cg_count "cg_$1_$2" "$1" n="$instr_ops" cl=ONE -pop "dist=UNIFORM(1..$keys)" -rate threads="$2"
    b=$cg_ir
    I[$1,$2]=$(awk -v a="$a" -v b="$b" -v o="$((instr_ops - base_ops))" 'BEGIN { printf "%d", (b - a) / o }')
    I[$1,$2,raw]=$(awk -v b="$b" -v o="$instr_ops" 'BEGIN { printf "%d", b / o }')
  done
  stop_ringdb
  method_desc="callgrind on the server: user-space instructions of all its threads (kernel not counted), (Ir(n=$instr_ops) - Ir(n=$base_ops)) / $((instr_ops - base_ops)); in brackets Ir(n=$instr_ops) / $instr_ops"
fi

# ---------------------------------------------------------------- summary --
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { ok = d == "ge" ? v >= t : v <= t; print ok ? "met" : "MISSED" }'; }
fmt() { awk -v v="$1" 'BEGIN { s = sprintf("%d", v); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'; }

echo
echo "== Throughput (ops/s; ringdb: ringdb-stress, RF=1 CL=ONE, commitlog periodic 10 s, --smp $smp; PostgreSQL: pgbench -M prepared -j 2, synchronous_commit=off)"
printf '%-8s %8s %14s %14s %8s %8s %-7s %s\n' op clients ringdb postgres ratio target "" "server CPU us/op: ringdb / postgres (postgres/ringdb)"
missed=0
for op in write read; do
  t=$T_READ_RATIO; [ "$op" = write ] && t=$T_WRITE_RATIO
  for c in "${clients[@]}"; do
    r=$(ratio "${R[$op,$c]}" "${P[$op,$c]}")
    v=$(verdict "$r" "$t" ge)
    [ "$v" = met ] || missed=1
    printf '%-8s %8s %14s %14s %7sx %7s %-7s %s / %s (%sx)\n' "$op" "$c" "$(fmt "${R[$op,$c]}")" "$(fmt "${P[$op,$c]}")" "$r" ">=${t}x" "$v" \
      "${R[$op,$c,cpu]}" "${P[$op,$c,cpu]}" "$(ratio "${P[$op,$c,cpu]}" "${R[$op,$c,cpu]}")"
  done
done
echo
echo "== ringdb latency at half of peak (target p99 <= ${T_P99_MS} ms)"
printf '%-8s %14s %14s %10s %10s %10s %s\n' op throttle achieved p50_ms p99_ms p999_ms ""
for op in write read; do
  v=$(verdict "${R[$op,half,p99]}" "$T_P99_MS" le)
  [ "$v" = met ] || missed=1
  printf '%-8s %12s/s %12s/s %10s %10s %10s %s\n' "$op" "$(fmt "${R[$op,half]}")" "$(fmt "${R[$op,half,rate]}")" \
    "${R[$op,half,p50]}" "${R[$op,half,p99]}" "${R[$op,half,p999]}" "$v"
done
echo "(at peak: p99 write ${R[write,16,p99]} / ${R[write,64,p99]} ms, read ${R[read,16,p99]} / ${R[read,64,p99]} ms at 16 / 64 clients)"
echo
echo "== ringdb server instructions per operation ($instr_ops ops each, $keys keys, all in the memtable = cached read; target <= $(fmt $T_INSTR))"
echo "   method: $method_desc"
printf '%-8s %8s %14s %10s %s\n' op clients instr/op "" ""
for ph in "${instr_phases[@]}"; do
  set -- $ph
  v=$(verdict "${I[$1,$2]}" "$T_INSTR" le)
  [ "$v" = met ] || missed=1
  raw=${I[$1,$2,raw]:-}
  printf '%-8s %8s %14s %10s %s\n' "$1" "$2" "$(fmt "${I[$1,$2]}")" "${raw:+($(fmt "$raw"))}" "$v"
done

if [ "$method" = callgrind ]; then
  cg_top() { # cg_top FILE self|inclusive N
    callgrind_annotate --inclusive="$( [ "$2" = self ] && echo no || echo yes)" --threshold=100 "$1" 2>/dev/null |
      awk -v o="$instr_ops" -v max="$3" '
        /PROGRAM TOTALS|clone\.S:clone|pthread_create\.c:start_thread|shard\.c:shard_main|loop\.c:loop_run_once/ { next }
        $1 ~ /^[0-9,]+$/ && $2 ~ /^\(/ && NF >= 3 {
          n = $1; gsub(/,/, "", n); f = $NF; if (f ~ /^\[/) f = $(NF - 1)
          sub(/^.*\//, "", f); if (seen[f]++) next; if (shown++ < max) printf "   %8.0f  %s\n", n / o, f }'
  }
  for op in read write; do
    echo
    echo "== where a $op goes (callgrind, 16 clients, instructions per op; fixed run cost included)"
    echo "   self, top 15:"
    cg_top "$dir/cg_${op}_16.out" self 15
    echo "   inclusive, top 30:"
    cg_top "$dir/cg_${op}_16.out" inclusive 30
  done
fi
# A missed target: where the server's time goes (not instructions: cycles,
# cache misses and the kernel included). perf record with the cpu-clock
# software event works without CPU counters.
if [ "$missed" -eq 1 ] && command -v perf >/dev/null; then
  start_ringdb prof
  stress prof_preload.txt write n="$keys" cl=ONE -pop seq=1.."$keys" -rate threads=64
  for op in read write; do
    perf record -e cpu-clock -F 2000 -g -o "$dir/perf_$op.data" -p "$srv_pid" -- sleep "$seconds" >/dev/null 2>&1 &
    perfpid=$!
    stress "prof_$op.txt" "$op" duration="${seconds}s" cl=ONE -pop "dist=UNIFORM(1..$keys)" -rate threads=64
    wait "$perfpid" || true
    echo
    echo "== a target was missed: server profile during a $op run, 64 clients ($(fmt "$(field "$dir/prof_$op.txt" "Op rate")") op/s; perf record -e cpu-clock -g)"
    echo "   by object:"
    perf report -i "$dir/perf_$op.data" --stdio --no-children --sort dso 2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 5'
    echo "   top 20 symbols ([k] kernel, [.] user):"
    perf report -i "$dir/perf_$op.data" --stdio --no-children --sort sym -g none 2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 20'
  done
  stop_ringdb
fi
echo
echo "(load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); raw outputs in $dir$( [ "$keep" -eq 1 ] || echo ', removed at exit; --keep to keep them'))"
