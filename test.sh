#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite (slow tests included). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "test.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$rc"
