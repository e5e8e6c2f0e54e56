#!/usr/bin/env bash
# Set up everything Samvirke needs on a Debian machine: system packages, .venv, npm assets,
# translations, database and static files. Idempotent: a second run does only what is missing.
#   scripts/setup.sh demo   what `make demo` needs
#   scripts/setup.sh test   that, plus PostgreSQL and Chromium for the test suite
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-demo}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# --- Python 3.11 -------------------------------------------------------------------------------
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || fail "Samvirke needs Python 3.11 ($PYTHON is $("$PYTHON" --version 2>&1)). Install python3.11 and python3.11-venv."

# --- Debian packages ---------------------------------------------------------------------------
# WeasyPrint needs Pango and HarfBuzz; translations need gettext; assets need Node.js and npm.
DEBS=(gettext nodejs npm libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [ "$MODE" = "test" ]; then
  DEBS+=(postgresql chromium poppler-utils)
fi
missing=()
for pkg in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js may come from elsewhere than Debian (nvm, NodeSource); accept a working npm.
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    fail "Missing Debian packages: ${missing[*]}
Install them as root:  sudo apt-get install ${missing[*]}"
  fi
fi

# --- Python environment ------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv"
  "$PYTHON" -m venv .venv || fail "python3.11 -m venv failed: install python3.11-venv"
fi
STAMP=.venv/.samvirke-installed
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  say "Installing Samvirke and its Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$STAMP"
fi

# --- Front-end assets (from package-lock.json; never committed) --------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing front-end assets with npm"
  npm ci --no-audit --no-fund --loglevel=error
fi
VENDOR=src/samvirke/static/vendor
if [ ! -f "$VENDOR/.copied" ] || [ package-lock.json -nt "$VENDOR/.copied" ]; then
  say "Copying front-end assets into $VENDOR"
  rm -rf "$VENDOR"
  mkdir -p "$VENDOR/dkfds" "$VENDOR/htmx" "$VENDOR/vega" "$VENDOR/axe"
  cp -r node_modules/dkfds/dist/css node_modules/dkfds/dist/js node_modules/dkfds/dist/fonts \
        node_modules/dkfds/dist/img node_modules/dkfds/LICENSE.md "$VENDOR/dkfds/"
  cp node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx/"
  cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
     node_modules/vega-embed/build/vega-embed.min.js "$VENDOR/vega/"
  cp node_modules/axe-core/axe.min.js "$VENDOR/axe/"
  touch "$VENDOR/.copied"
fi

# --- Translations, database, static files ------------------------------------------------------
say "Compiling translations"
(cd src/samvirke && ../../.venv/bin/samvirke compilemessages -v0 --ignore '.venv' --ignore 'node_modules')
mkdir -p var
if [ "$MODE" = "demo" ]; then
  say "Migrating the SQLite database in var/"
  .venv/bin/samvirke migrate -v0
  .venv/bin/samvirke createcachetable
  .venv/bin/samvirke collectstatic --noinput -v0
fi
say "Setup done ($MODE)"
