#!/usr/bin/env bash
# The demo, end to end: install into .venv, ingest the shipped demo catalog, hold a short scripted conversation
# with it in the terminal (zh and en), then serve the web chat page and print its address (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export VIDREC_HOME=${VIDREC_HOME:-vidrec-data}
host=${VIDREC_DEMO_HOST:-127.0.0.1}
port=${VIDREC_DEMO_PORT:-8000}
.venv/bin/vidrec ingest examples/demo/catalog.csv
echo
echo "\$ vidrec chat --script examples/demo/chat.txt      # a scripted conversation"
.venv/bin/vidrec chat --script examples/demo/chat.txt
echo "Talk to it yourself in the terminal: .venv/bin/vidrec chat"
echo
echo "The web chat (with video playback) is at http://$host:$port/ ; the HTTP API's docs at http://$host:$port/docs"
echo "(Ctrl-C stops the server)"
exec .venv/bin/vidrec serve --host "$host" --port "$port" --log-format text
