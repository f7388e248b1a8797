#!/usr/bin/env bash
# The demo, end to end: install into .venv, ingest the shipped demo catalog, search it in Chinese and English.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export VIDREC_HOME=${VIDREC_HOME:-vidrec-data}
.venv/bin/vidrec ingest examples/demo/catalog.csv
for q in "红色连衣裙" "blue shorts under 200" "黑色的鞋子 300元以内"; do
  echo
  echo "\$ vidrec search \"$q\" --k 3"
  .venv/bin/vidrec search "$q" --k 3
done
echo
echo "Try: .venv/bin/vidrec items show <id>   |   .venv/bin/vidrec search \"...\" --json"
