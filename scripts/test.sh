#!/usr/bin/env bash
# The whole test run: setup, lint, type check, architecture rules, pytest on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export SAMVIRKE_ENV=test
export DJANGO_ALLOW_ASYNC_UNSAFE=true   # Playwright's sync API runs an event loop in the test thread
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
START=$(date +%s)

say "ruff"
.venv/bin/ruff format --check src perf scripts
.venv/bin/ruff check src perf scripts
say "mypy"
.venv/bin/mypy
say "migrations match the models"
.venv/bin/samvirke makemigrations --check --dry-run
say "architecture rules"
.venv/bin/python scripts/check_architecture.py
say "pytest on SQLite"
DATABASE_URL="sqlite:///$(mktemp -d)/test.sqlite3" .venv/bin/pytest "$@"
say "pytest on PostgreSQL"
scripts/with-postgres.sh .venv/bin/pytest "$@"
say "All checks passed in $(( $(date +%s) - START )) s"
