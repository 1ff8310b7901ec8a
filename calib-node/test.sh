#!/usr/bin/env bash
# Builds calib-node (release) and runs the shared JS suite against it:
#   1. npm packages from package-lock.json (`npm ci`, only when the lockfile changed);
#   2. the addon with `napi build --platform --release`; the index.js and index.d.ts it
#      generates are committed, and a run that changes them fails (they were stale);
#   3. index.d.ts type-checked with tsc --strict (typecheck.ts);
#   4. fresh signed-manifest fixtures from the calib CLI (tests/js/make-fixtures.sh);
#   5. tests/js/calib.test.mjs with CALIB_JS_IMPL=node under Node's test runner, which also
#      writes <target>/parity/node.json for the cross-runtime parity report;
#   6. the package as a consumer installs it: `npm pack`, the tarball installed into a
#      fresh project, imported from ESM and CommonJS, type-checked with tsc
#      (tests/js/packed-install.sh).
# Idempotent; a re-run with nothing changed takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> calib-node: %s\n' "$*"; }

command -v node >/dev/null || { echo "calib-node needs Node.js >= 20 (node not found)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "calib-node needs Node.js >= 20, found $(node --version)" >&2; exit 1; }

step "npm packages (npm ci when package-lock.json changed)"
STAMP=node_modules/.calib-package-lock.json
if ! cmp -s package-lock.json "$STAMP"; then
  npm ci --no-audit --no-fund
  cp package-lock.json "$STAMP"
fi

step "build the addon (release) and regenerate index.js / index.d.ts"
before=$(mktemp -d)
trap 'rm -rf "$before"' EXIT
for f in index.js index.d.ts; do
  [ -f "$f" ] && cp "$f" "$before/$f"
done
node_modules/.bin/napi build --platform --release -- --locked
stale=0
for f in index.js index.d.ts; do
  if ! cmp -s "$f" "$before/$f"; then
    echo "calib-node/$f was stale; napi build has regenerated it:" >&2
    diff -u "$before/$f" "$f" >&2 || true
    stale=1
  fi
done
if [ "$stale" = 1 ]; then
  echo "commit the regenerated calib-node/index.js and calib-node/index.d.ts, then re-run" >&2
  exit 1
fi

step "type-check index.d.ts (tsc --noEmit --strict)"
node_modules/.bin/tsc -p tsconfig.json --noEmit --strict

step "signed-manifest fixtures (tests/js/make-fixtures.sh, with the calib CLI)"
"$ROOT/tests/js/make-fixtures.sh"

step "shared JS suite (CALIB_JS_IMPL=node)"
CALIB_JS_IMPL=node node --test "$ROOT/tests/js/calib.test.mjs"

step "packed install: npm pack, a fresh consumer imports it (ESM, CommonJS) and type-checks it (tests/js/packed-install.sh)"
"$ROOT/tests/js/packed-install.sh" calib-node
