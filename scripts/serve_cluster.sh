#!/usr/bin/env bash
# Several replicas of the app behind HAProxy, on one machine:
#
#   bash scripts/serve_cluster.sh --replicas 2 --port 8500      # then open http://localhost:8500
#
# Starts N copies of scripts/serve.py on loopback ports (port+1 ... port+N) and HAProxy in front
# on --port with deploy/haproxy.cfg (websocket upgrade, a sticky GANSRV cookie, health checks on
# /_stcore/health).  A replica that dies is started again within a couple of seconds and rejoins
# once its health check passes.  Ctrl-C (or SIGTERM) stops HAProxy and every replica.
#
# Options: --replicas N (default 2), --port P (default 8500), --bind ADDR (HAProxy's address,
# default 0.0.0.0), --logs DIR (default artifacts/cluster), --no-restart (leave dead replicas dead).
# Installs Debian's haproxy with apt-get when it is missing (needs root).  Runs scripts/setup.sh
# first when the virtual environment is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

replicas=2 port=8500 bind=0.0.0.0 logs=artifacts/cluster restart=1
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) replicas=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bind) bind=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    --no-restart) restart=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$replicas" =~ ^[0-9]+$ ]] || [ "$replicas" -lt 1 ] || [ "$replicas" -gt 32 ]; then
  echo "--replicas must be a whole number from 1 to 32, got '$replicas'" >&2; exit 2
fi
if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ $((port + replicas)) -gt 65535 ]; then
  echo "--port must be a port number with room for $replicas replica ports after it, got '$port'" >&2; exit 2
fi

if ! command -v haproxy >/dev/null; then
  echo "== installing Debian's haproxy"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq haproxy >/dev/null
fi
[ -x .venv/bin/python ] || bash scripts/setup.sh

mkdir -p "$logs"
cfg="$logs/haproxy.cfg"
# deploy/haproxy.cfg with its example server lines replaced by one line per replica.
{
  sed '/# REPLICAS/,$d' deploy/haproxy.cfg
  echo "    # REPLICAS (written by scripts/serve_cluster.sh)"
  for i in $(seq 1 "$replicas"); do
    echo "    server app$i 127.0.0.1:$((port + i)) cookie app$i"
  done
  sed -n '/# END REPLICAS/,$p' deploy/haproxy.cfg
} > "$cfg"

declare -A pids
haproxy_pid=""
start_replica() {
  local i=$1
  .venv/bin/python scripts/serve.py --server.port $((port + i)) --server.address 127.0.0.1 \
    --server.headless true >>"$logs/replica$i.log" 2>&1 &
  pids[$i]=$!
  echo "$(date +%T) replica $i: pid ${pids[$i]} on 127.0.0.1:$((port + i))"
}
stop_all() {
  trap - INT TERM EXIT
  echo "$(date +%T) stopping HAProxy and $replicas replicas"
  [ -n "$haproxy_pid" ] && kill "$haproxy_pid" 2>/dev/null || true
  for i in "${!pids[@]}"; do kill "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  exit 0
}
trap stop_all INT TERM EXIT

for i in $(seq 1 "$replicas"); do start_replica "$i"; done
GAN_PROXY_BIND="$bind:$port" haproxy -db -f "$cfg" >>"$logs/haproxy.log" 2>&1 &
haproxy_pid=$!
echo "$(date +%T) HAProxy: pid $haproxy_pid on $bind:$port (config $cfg, logs in $logs/)"

while true; do
  sleep 1
  if ! kill -0 "$haproxy_pid" 2>/dev/null; then
    echo "HAProxy exited; see $logs/haproxy.log" >&2; stop_all
  fi
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      wait "${pids[$i]}" 2>/dev/null || true
      if [ "$restart" = 1 ]; then
        echo "$(date +%T) replica $i died; starting it again"; start_replica "$i"
      else
        echo "$(date +%T) replica $i died (--no-restart: left stopped)"; unset "pids[$i]"
      fi
    fi
  done
done
