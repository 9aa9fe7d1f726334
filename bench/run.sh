#!/usr/bin/env bash
# bench/run.sh — `make bench`: relais against nginx, same machine, same run.
#
#   (a) nginx `return 200` with a fixed 1 KiB JSON body (bench/payload.json)
#   (b) nginx `proxy_pass` to (a) with an upstream keep-alive pool
#   (c) relais proxying /bench to (a)
#   (d) relais answering /cached from its response cache (a hit; the entry
#       was filled from (a) once), compared with (a)
#   (e) relais answering /mock from a mock fixture (the same body), vs (a)
#   (f) relais /fallback: targets [dead, origin], the first refusing every
#       connection (no breaker), so each request fails over; vs (b)
#   (g) relais /breaker: the same chain with the dead target's breaker open,
#       skipped without a connection; vs (b)
#   (h) relais /auth: (c) plus API key auth, a rate limit that never rejects
#       and an audit record per request; vs (c) and (b)
#   (i) the h2o floor (bench/h2o_floor.c): the smallest h2o + libuv server,
#       the same body from memory; what relais' HTTP library and event loop
#       cost against nginx, and what relais adds on top (vs (d))
#
# Equal worker counts. wrk drives each for a warm-up and then measured runs
# (--latency) in BENCH_ROUNDS rounds that go through every scenario in turn
# (fifteen rounds of 2 s rather than five of 6 s: a shared VM's throughput
# drifts in spells of seconds, and three times the samples steady the
# medians),
# so that a drift of the machine (other load, CPU frequency) hits every
# scenario alike; bench/report.py prints the median of the rounds for
# requests/s, p50 and p99, and each ratio as the median of the ratios of the
# same round.
# Then relais' RSS: idle, after the load, and with 10,000 idle keep-alive
# connections (bench/idle_conns.py). Everything lives in one mktemp dir and
# every process is stopped on exit, however the script ends.
#
# Knobs (environment): BENCH_DURATION (2s), BENCH_WARMUP (2s), BENCH_ROUNDS (15),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_WORKERS (2),
# BENCH_IDLE_CONNS (10000), BENCH_STRICT=1 (exit 1 when a target is missed),
# BENCH_KEEP=1 (keep the work dir), RELAIS_BIN (build/relais).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
RELAIS_BIN=${RELAIS_BIN:-$ROOT/build/relais}
DURATION=${BENCH_DURATION:-2s}
ROUNDS=${BENCH_ROUNDS:-15}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
WORKERS=${BENCH_WORKERS:-2}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/deps.sh installs it)"
done

# Many idle connections need many fds, in this shell, in the python client and
# in relais (started below, so it inherits the limit).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE_CONNS + 1000)) ]; then
  log "ulimit -n is $(ulimit -n): fewer than $IDLE_CONNS idle connections will open"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/relais-bench.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r PORT_A PORT_B PORT_C PORT_ADMIN PORT_DEAD PORT_F < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')

wait_http() {  # URL PID NAME
  local i
  for i in $(seq 100); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_nginx() {  # NAME TEMPLATE PORT
  local name=$1 prefix="$WORK/$1"
  mkdir -p "$prefix/tmp"
  "$PY" "$BENCH_DIR/render.py" "$BENCH_DIR/$2" "$prefix/nginx.conf" \
    PREFIX="$prefix" WORKERS="$WORKERS" PORT="$3" UPSTREAM_PORT="$PORT_A" BODY="@file:$BENCH_DIR/payload.json"
  nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" >"$prefix/stdout.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$3/bench" $! "$name" || die "nginx $name did not start: $(tail -5 "$prefix/error.log" 2>/dev/null)"
}

vm_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

run_wrk() {  # NAME ROUND URL [wrk options…] — the first round warms up first
  local name=$1 round=$2 url=$3
  shift 3
  if [ "$round" = 1 ]; then
    log "wrk $name: warm-up $WARMUP"
    wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$@" "$url" >/dev/null
  fi
  log "wrk $name: round $round of $ROUNDS, $DURATION"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url" >"$WORK/wrk-$name.$round.txt"
}

check_body() {  # URL — the 1 KiB body must come back intact
  local got
  got=$(curl -fsS --max-time 5 "$1" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(sha256sum <"$BENCH_DIR/payload.json" | cut -d' ' -f1)" ] || die "$1 did not return bench/payload.json"
}

"$PY" - "$WORK/meta.json" "$WORKERS" "$THREADS" "$CONNS" "$DURATION" "$WARMUP" "$ROUNDS" <<'EOF'
import json, os, sys, time
out, workers, threads, conns, duration, warmup, rounds = sys.argv[1:]
json.dump({"workers": workers, "threads": threads, "connections": conns, "duration": duration,
           "warmup": warmup, "rounds": int(rounds), "cpus": os.cpu_count(),
           "date": time.strftime("%Y-%m-%d %H:%M")}, open(out, "w"))
EOF

start_nginx return nginx-return.conf.in "$PORT_A"
start_nginx proxy nginx-proxy.conf.in "$PORT_B"
check_body "http://127.0.0.1:$PORT_A/bench"
check_body "http://127.0.0.1:$PORT_B/bench"

FLOOR_BIN=${FLOOR_BIN:-$(dirname "$RELAIS_BIN")/h2o_floor}
FLOOR_PID=
if [ -x "$FLOOR_BIN" ]; then
  "$FLOOR_BIN" "$PORT_F" "$WORKERS" "$BENCH_DIR/payload.json" >"$WORK/floor.log" 2>&1 &
  FLOOR_PID=$!
  PIDS+=("$FLOOR_PID")
  if wait_http "http://127.0.0.1:$PORT_F/bench" "$FLOOR_PID" floor; then
    check_body "http://127.0.0.1:$PORT_F/bench"
  else
    log "h2o floor did not start: $(tail -3 "$WORK/floor.log")"
    FLOOR_PID=
  fi
fi

RELAIS_PID=
if [ -x "$RELAIS_BIN" ]; then
  mkdir -p "$WORK/relais/mocks"
  "$PY" "$BENCH_DIR/mock_fixture.py" "$BENCH_DIR/payload.json" >"$WORK/relais/mocks/bench.json"
  "$PY" "$BENCH_DIR/render.py" "$BENCH_DIR/relais.yaml.in" "$WORK/relais/relais.yaml" \
    WORKERS="$WORKERS" PORT="$PORT_C" ADMIN_PORT="$PORT_ADMIN" UPSTREAM_PORT="$PORT_A" \
    DEAD_PORT="$PORT_DEAD" MOCK_DIR="$WORK/relais/mocks" STORE="$WORK/relais/relais.db"
  API_KEY=$(RELAIS_SECRET_KEY=bench-secret-key-0123456789abcdef0123456789 \
    "$RELAIS_BIN" keys create -c "$WORK/relais/relais.yaml" --name bench 2>/dev/null | head -1)
  # The access log (stdout) is written like in production but thrown away;
  # nginx runs with access_log off, so this is relais' handicap, not nginx's.
  RELAIS_SECRET_KEY=bench-secret-key-0123456789abcdef0123456789 RELAIS_ADMIN_TOKEN=bench-admin-token \
    "$RELAIS_BIN" serve -c "$WORK/relais/relais.yaml" >/dev/null 2>"$WORK/relais/stderr.log" &
  RELAIS_PID=$!
  PIDS+=("$RELAIS_PID")
  if wait_http "http://127.0.0.1:$PORT_C/healthz" "$RELAIS_PID" relais; then
    sleep 1
    vm_rss_kib "$RELAIS_PID" >"$WORK/rss-idle.txt"
    check_body "http://127.0.0.1:$PORT_C/bench"
    check_body "http://127.0.0.1:$PORT_C/cached"
    check_body "http://127.0.0.1:$PORT_C/mock"
    check_body "http://127.0.0.1:$PORT_C/fallback"
    check_body "http://127.0.0.1:$PORT_C/breaker"   # this one opens the breaker
    curl -fsS -o /dev/null --max-time 5 -H "Authorization: Bearer $API_KEY" "http://127.0.0.1:$PORT_C/auth" ||
      die "relais /auth refused the bench API key"
  else
    log "relais did not start: $(tail -5 "$WORK/relais/stderr.log" 2>/dev/null)"
    RELAIS_PID=
  fi
else
  log "no relais binary at $RELAIS_BIN (make build): measuring nginx only"
fi

# Scenarios that are compared run back to back (return, cache hit, floor,
# mock; proxy_pass, relais proxy, auth, breaker, fallback), so that a ratio
# compares two runs seconds apart; odd rounds go through them in this order,
# even rounds in the reverse one, so that a drift within a round favours
# neither side of a ratio.
scenario() {  # NUMBER ROUND
  case $1 in
  0) run_wrk return "$2" "http://127.0.0.1:$PORT_A/bench" ;;
  1) [ -z "$RELAIS_PID" ] || run_wrk cached "$2" "http://127.0.0.1:$PORT_C/cached" ;;
  2) [ -z "$FLOOR_PID" ] || run_wrk floor "$2" "http://127.0.0.1:$PORT_F/bench" ;;
  3) [ -z "$RELAIS_PID" ] || run_wrk mock "$2" "http://127.0.0.1:$PORT_C/mock" ;;
  4) run_wrk proxy "$2" "http://127.0.0.1:$PORT_B/bench" ;;
  5) [ -z "$RELAIS_PID" ] || run_wrk relais "$2" "http://127.0.0.1:$PORT_C/bench" ;;
  6) [ -z "$RELAIS_PID" ] || run_wrk auth "$2" "http://127.0.0.1:$PORT_C/auth" -H "Authorization: Bearer $API_KEY" ;;
  7) [ -z "$RELAIS_PID" ] || run_wrk breaker "$2" "http://127.0.0.1:$PORT_C/breaker" ;;
  8) [ -z "$RELAIS_PID" ] || run_wrk fallback "$2" "http://127.0.0.1:$PORT_C/fallback" ;;
  esac
}
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order=$(seq 0 8); else order=$(seq 8 -1 0); fi
  for i in $order; do scenario "$i" "$round"; done
done
if [ -n "$RELAIS_PID" ]; then
  sleep 1
  vm_rss_kib "$RELAIS_PID" >"$WORK/rss-after-load.txt"
  log "opening $IDLE_CONNS idle keep-alive connections to relais"
  "$PY" "$BENCH_DIR/idle_conns.py" --port "$PORT_C" --pid "$RELAIS_PID" --count "$IDLE_CONNS" \
    >"$WORK/idle-conns.json" || log "idle_conns.py failed"
  [ -s "$WORK/idle-conns.json" ] || rm -f "$WORK/idle-conns.json"
  kill -0 "$RELAIS_PID" 2>/dev/null || log "relais died during the benchmark: $(tail -5 "$WORK/relais/stderr.log")"
fi

rc=0
"$PY" "$BENCH_DIR/report.py" "$WORK" || rc=$?
[ -n "$RELAIS_PID" ] || exit 1
[ "${BENCH_STRICT:-0}" = 1 ] && exit $rc
exit 0
