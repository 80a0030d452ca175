#!/usr/bin/env bash
# Lints the live OpenAPI schema with Redocly's recommended rules (redocly.yaml; reasoned exceptions in
# .redocly.lint-ignore.yaml). Installs @redocly/cli from the npm registry into var/node (git-ignored) on first use.
# Exit 0: no error and no warning; 1: findings; 3: the linter could not be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
REDOCLY_VERSION=2.77.0  # needs Node 20.19+ or 22.12+
REDOCLY=var/node/node_modules/.bin/redocly

if [[ ! -x $REDOCLY ]] || [[ "$("$REDOCLY" --version 2>/dev/null)" != "$REDOCLY_VERSION" ]]; then
  if ! command -v npm >/dev/null || ! npm install --prefix var/node --no-save --no-audit --no-fund \
      --loglevel=error "@redocly/cli@$REDOCLY_VERSION"; then
    echo "!!! redocly lint NOT RUN: npm could not install @redocly/cli@$REDOCLY_VERSION (node $(node --version 2>&1))" >&2
    exit 3
  fi
fi
mkdir -p var
DEBUG=${DEBUG:-true} .venv/bin/python manage.py spectacular --file var/openapi.yaml
# --max-problems: print every finding; warnings fail too (the schema is kept at 0 errors and 0 warnings)
output=$("$REDOCLY" lint var/openapi.yaml --format=stylish --max-problems=1000 2>&1) || { echo "$output"; exit 1; }
echo "$output"
if grep -qE "You have [0-9]+ warnings?" <<<"$output"; then
  exit 1
fi
