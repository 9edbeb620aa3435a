#!/bin/sh
# azd's prepackage hook: the npm packages (once), then the page's bundles into web/
# (scripts/build-web.mjs), so the deployment package holds everything the page loads.
set -eu
cd "$(dirname "$0")/.."
[ -f node_modules/.installed ] || [ -d node_modules/esbuild ] || npm ci --no-audit --no-fund --loglevel=error
node scripts/build-web.mjs
