#!/usr/bin/env bash
# Runs every libFuzzer driver BUILD_DIR/fuzz_* for SECONDS each, in parallel
# (FUZZ_JOBS at a time, default nproc), and prints one line per fuzzer.
# Seeds come from tests/fuzz/corpus/<name>/ and are copied to a fresh
# BUILD_DIR/corpus-<name>, so nothing generated is ever written into the repo;
# logs and crash/leak artifacts go to BUILD_DIR/fuzz-out/<name>/.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS    Exit: 0 clean, 1 a fuzzer failed, 2 usage.
set -uo pipefail

if [ $# -ne 2 ] || ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || { echo "fuzz: no such directory: $1" >&2; exit 2; }
secs=$2
seeds_root=$(cd "$(dirname "$0")" && pwd)/corpus
jobs=${FUZZ_JOBS:-$(nproc)}
# libFuzzer stops itself at -max_total_time; the wall-clock cap is for a run
# that hangs anyway (a stuck input is cut at -timeout=10 and reported).
cap=$((secs + 60))

fuzzers=()
for f in "$build"/fuzz_*; do
  [ -f "$f" ] && [ -x "$f" ] && fuzzers+=("$f")
done
if [ ${#fuzzers[@]} -eq 0 ]; then
  echo "fuzz: no fuzz_* executables in $build (configure with -DFUZZ=ON)" >&2
  exit 1
fi

# Runs one fuzzer; its exit status lands in <out>/rc.
run_one() {
  local bin=$1 name out corpus
  name=$(basename "$bin")
  out="$build/fuzz-out/$name"
  corpus="$build/corpus-$name"
  rm -rf "$out" "$corpus"
  mkdir -p "$out" "$corpus"
  [ -d "$seeds_root/$name" ] && cp -R "$seeds_root/$name/." "$corpus/"
  (cd "$out" && timeout -k 10 "$cap" "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$out/" "$corpus" >"$out/log" 2>&1)
  echo $? >"$out/rc"
}

# "ok", or what went wrong, read from the log of a run that exited non-zero.
verdict() {
  local out=$1 rc
  rc=$(cat "$out/rc")
  if [ "$rc" = 0 ]; then echo ok; return; fi
  if grep -q "ERROR: LeakSanitizer" "$out/log"; then echo "LEAK"
  elif grep -q "ERROR: libFuzzer: timeout" "$out/log"; then echo "TIMEOUT"
  elif grep -q "out-of-memory" "$out/log"; then echo "OOM"
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "HUNG (killed after ${cap}s)"
  else echo "CRASH"
  fi
}

running=0
for bin in "${fuzzers[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$bin" &
  running=$((running + 1))
done
wait

status=0
for bin in "${fuzzers[@]}"; do
  name=$(basename "$bin")
  out="$build/fuzz-out/$name"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  result=$(verdict "$out")
  [ "$result" = ok ] || status=1
  line=$(printf '%-24s %12s execs  %s' "$name" "${execs:-?}" "$result")
  if [ "$result" != ok ]; then
    artifact=$(ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null | head -1)
    line="$line  (log: $out/log${artifact:+, input: $artifact})"
  fi
  echo "$line"
done
exit $status
