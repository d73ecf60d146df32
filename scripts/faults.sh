#!/usr/bin/env bash
# Fault injection, end to end (scripts/faults.py): signals at each phase, kill -9, corrupt files,
# a read-only tree, a full disk. Prints a table (fault -> exit code, data intact, no orphan, record
# state) and "N passed, 0 failed"; exits 1 when a fault was not handled. Mount faults need root.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" scripts/faults.py "$@"
