#!/usr/bin/env bash
# Every check the project has, in the order that fails fastest: Rust format, lints and tests, then
# Python lints, types, import contracts and tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rust: fmt, clippy, test"
# RUST_TEST_FLAGS=--release (set by .ci/run) runs them in the release profile.
(cd rust && cargo fmt --check && cargo clippy --all-targets --quiet -- -D warnings \
    && cargo test --quiet ${RUST_TEST_FLAGS:-})

echo "== python: ruff, mypy, import contracts, pytest"
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy core
# The layer rules and the no-cycles rule of pyproject.toml [tool.importlinter].
python3 -c 'import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())' \
    --no-cache
# One worker per core (pytest-xdist): most of the suite's time is single-threaded Python driving
# Textual apps, which a second core halves; every test works in its own temporary workspace.
python3 -m pytest -n auto --dist worksteal "$@"
