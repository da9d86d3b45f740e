#!/usr/bin/env bash
# Benchmark: 1 vs 2 replicas behind HAProxy under the same load, as a ratio from one run.
#
#   bash scripts/bench_scaleout.sh [--visitors 150] [--arrival-s 15] [--rounds 2] [--port 8600]
#
# Each round brings up scripts/serve_cluster.sh with 1 replica, then with 2 (fresh processes,
# --no-restart), warms each replica with 4 visits, and sends the same load through the proxy with
# scripts/load_ws.py (visitors arriving evenly over --arrival-s on the GAN-objective lesson, each
# changing its slider once after ~1 s). Prints per run: runs/s, first-run and change p95, errors,
# server CPU per run, the split over replicas; then the ratio of runs/s, 2 replicas over 1, per
# round. The figures go to artifacts/scaleout/ as JSON too. See docs/capacity.md, section 3.
set -euo pipefail
cd "$(dirname "$0")/.."
visitors=150 arrival=15 rounds=2 port=8600
while [ $# -gt 0 ]; do
  case "$1" in
    --visitors) visitors=$2; shift 2 ;;
    --arrival-s) arrival=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x .venv/bin/python ] || bash scripts/setup.sh
out=artifacts/scaleout; mkdir -p "$out"
page="/gan-objective?theta=0.5"

run_one() {  # replicas tag
  local r=$1 tag=$2 cpid pids="" ok
  bash scripts/serve_cluster.sh --replicas "$r" --port "$port" --bind 127.0.0.1 --logs "$out/logs-$tag" \
    --no-restart >"$out/cluster-$tag.log" 2>&1 &
  cpid=$!
  for _ in $(seq 1 90); do
    ok=1
    for k in $(seq 0 "$r"); do curl -sf "http://127.0.0.1:$((port + k))/_stcore/health" >/dev/null || ok=0; done
    [ "$ok" = 1 ] && break
    sleep 1
  done
  [ "$ok" = 1 ] || { echo "the cluster did not come up; see $out/cluster-$tag.log" >&2; kill "$cpid"; exit 1; }
  for k in $(seq 1 "$r"); do
    pids="$pids --server-pid $(ss -ltnpH "sport = :$((port + k))" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)"
  done
  # shellcheck disable=SC2086
  .venv/bin/python scripts/load_ws.py --url "http://127.0.0.1:$port" --visitors $((4 * r)) --arrival-s 2 \
    --page "$page" --change --think-s 0.5 $pids --json >/dev/null
  # shellcheck disable=SC2086
  .venv/bin/python scripts/load_ws.py --url "http://127.0.0.1:$port" --visitors "$visitors" --arrival-s "$arrival" \
    --page "$page" --change --think-s 1 $pids --json >"$out/run-$tag.json"
  kill "$cpid"; wait "$cpid" 2>/dev/null || true
  sleep 3
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$rounds"); do run_one 1 "r$i-1"; run_one 2 "r$i-2"; done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
.venv/bin/python - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
print(f"{'run':8s} {'runs':>5s} {'wall s':>7s} {'runs/s':>7s} {'first p95':>9s} {'change p95':>10s} {'errors':>6s} "
      f"{'CPU/run':>8s}  split")
for i in range(1, rounds + 1):
    rate = {}
    for r in (1, 2):
        d = json.load(open(f"{out}/run-r{i}-{r}.json"))
        p = next(iter(d["pages"].values()))
        rate[r] = d["renders_per_s"]
        print(f"r{i} x{r:<4d} {d['finished_runs']:5d} {d['wall_s']:7.1f} {d['renders_per_s']:7.2f} {p['first_p95_s']:9.2f} "
              f"{p['change_p95_s']:10.2f} {p['errors']:6d} {d['server']['cpu_s_per_render']:8.3f}  {d['replicas']}")
    print(f"round {i}: 2 replicas / 1 = {rate[2] / rate[1]:.2f}x runs per second")
PY
