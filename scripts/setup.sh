#!/usr/bin/env bash
# Set up everything the app and its tests need on a fresh Debian machine (run as root):
# Debian's Chromium (the app exports figures as PNG / SVG through it; the browser tests drive
# it), a TrueType font, Debian's haproxy (scripts/serve_cluster.sh; the failover test runs it), and a
# virtual environment in .venv with the pinned packages.
# Safe to run again: it skips what is already in place.  (--with-browser is accepted for
# older instructions; the browser is always installed.)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! { [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi dejavu && command -v haproxy >/dev/null; }; then
  echo "== installing Debian's chromium (figure exports, browser tests), a TrueType font and haproxy (replicas)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core fontconfig haproxy >/dev/null
fi

if ! command -v python3 >/dev/null; then
  echo "== installing python3"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi

stamp=.venv/.installed-$(cat requirements.txt requirements-dev.txt requirements-train.txt | sha256sum | cut -c1-16)
if ! [ -f "$stamp" ]; then
  echo "== creating .venv and installing pinned packages (torch comes from the local wheel mirror)"
  if ! [ -x .venv/bin/python ]; then
    python3 -m venv .venv 2>/dev/null || {
      # Debian's own python3 ships venv separately
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf .venv && python3 -m venv .venv
    }
  fi
  .venv/bin/python -m pip install -q -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import streamlit, torch, plotly, scipy, safetensors, pytest, playwright" 
  rm -f .venv/.installed-*
  touch "$stamp"
fi
