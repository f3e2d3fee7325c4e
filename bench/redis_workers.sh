#!/usr/bin/env bash
# The Redis mode's throughput and overhead (README, "Many machines"): a redis-server on a free
# loopback port, one API node (nst serve --queue), and 1, 2 and 4 nst worker processes, each
# with its share of this machine's cores. For each count it submits N jobs at once and reports
# jobs per minute (N over the time from the first submission to the last result); then, with
# idle workers, it submits jobs one at a time and reports the queue's own overhead per job: the
# time from submission (the record's `created`) to a worker starting it (`started`).
#   bench/redis_workers.sh [--jobs 8] [--size 64] [--iterations 40] [--workers "1 2 4"]
# Untrained weights; the pictures are the demo's (apps/demo_images).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
jobs=8 size=64 iterations=40 counts="1 2 4"
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --workers) counts=$2; shift 2 ;;
    *) echo "usage: bench/redis_workers.sh [--jobs N] [--size PX] [--iterations N] [--workers \"1 2 4\"]" >&2; exit 2 ;;
  esac
done
[ -x "$build/bin/nst" ] || cmake --build "$build" --target nst nst_demo_images > /dev/null
command -v redis-server > /dev/null || { echo "needs redis-server (scripts/install-deps)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for_line() {  # FILE TEXT
  for _ in $(seq 200); do grep -q "$2" "$1" 2> /dev/null && return 0; sleep 0.05; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

"$build/bin/nst_demo_images" "$work" > /dev/null
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no \
  > "$work/redis.log" 2>&1 &
pids+=($!)
wait_for_line "$work/redis.log" "Ready to accept connections"
queue=redis://127.0.0.1:$redis_port
api_port=$(free_port)
"$build/bin/nst" serve --port "$api_port" --queue "$queue" --max-queued 10000 2> "$work/api.log" &
pids+=($!)
wait_for_line "$work/api.log" "listening on"
api=http://127.0.0.1:$api_port/api/jobs
cores=$(nproc)

submit() {
  curl -sf -F content=@"$work/content.png" -F style=@"$work/style.png" \
    -F "options={\"size\": $size, \"iterations\": $iterations}" "$api" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
# Waits until every job given is done; prints "first-created last-finished" (seconds).
wait_done() {
  python3 - "$api" "$@" << 'PY'
import json, sys, time, urllib.request
from datetime import datetime
api, ids = sys.argv[1], sys.argv[2:]
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
while True:
    records = [json.load(urllib.request.urlopen(f"{api}/{i}")) for i in ids]
    bad = [r for r in records if r["state"] in ("failed", "cancelled")]
    if bad: sys.exit(f"job {bad[0]['id']} {bad[0]['state']}: {bad[0].get('error')}")
    if all(r["state"] == "done" for r in records):
        print(min(t(r["created"]) for r in records), max(t(r["finished"]) for r in records),
              " ".join(str(t(r["started"]) - t(r["created"])) for r in records))
        break
    time.sleep(0.2)
PY
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores"
echo "$jobs jobs of ${size} px x $iterations iterations each, untrained VGG19"
printf "%-8s %-8s %-10s %-12s %-20s\n" workers threads "time (s)" "jobs/min" "pickup, idle (ms)"
for count in $counts; do
  threads=$(( cores / count )); [ "$threads" -ge 1 ] || threads=1
  worker_pids=()
  for w in $(seq "$count"); do
    "$build/bin/nst" worker --queue "$queue" --name "w$count-$w" --threads "$threads" \
      --weights random 2> "$work/worker-$count-$w.log" &
    worker_pids+=($!); pids+=($!)
  done
  for w in $(seq "$count"); do wait_for_line "$work/worker-$count-$w.log" "takes jobs from"; done
  ids=()
  for _ in $(seq "$jobs"); do ids+=("$(submit)"); done
  read -r first last _ <<< "$(wait_done "${ids[@]}")"
  # The queue's own overhead: one job at a time, to idle workers.
  pickups=()
  for _ in 1 2 3 4 5; do
    sleep 1
    read -r _ _ pickup <<< "$(wait_done "$(submit)")"
    pickups+=("$pickup")
  done
  median=$(printf "%s\n" "${pickups[@]}" | sort -g | sed -n 3p)
  python3 -c "
first, last, n, median = $first, $last, $jobs, $median
print(f'%-8s %-8s %-10.1f %-12.2f %-20.1f' % ('$count', '$threads', last - first, 60 * n / (last - first), 1000 * median))"
  kill "${worker_pids[@]}"
  wait "${worker_pids[@]}" 2> /dev/null || true
done
