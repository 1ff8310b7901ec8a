#!/usr/bin/env bash
# The frontend example (issue 16, parts 2 and 3): a TypeScript page on
# calib-wasm, built with esbuild and with Vite and tested in headless Chromium.
#   1. npm packages from package-lock.json (`npm ci`, only when the lockfile
#      changed): esbuild, Vite, TypeScript and playwright-core, pinned exactly;
#      calib-wasm itself is a file: dependency on ../../calib-wasm;
#   2. the data files from tests/vectors/parity.json (prepare.mjs);
#   3. tsc --noEmit --strict over src/ (bundler resolution: calib-wasm's web types);
#   4. both builds, then their sizes (JS and wasm, raw and gzipped), checked
#      against the table in README.md's browser section (more than 10 % off fails);
#   5. test.mjs: both builds in Chromium against calib-node's native bits,
#      the worker's 10^6-score batch and the page's responsiveness;
#   6. bench.mjs: applyBatch's ns per score in WebAssembly (Node, and Chromium
#      through each build's page) against the native core, printed (a
#      measurement, not a pass/fail criterion).
# Needs calib-wasm's web build and calib-node's addon (calib-wasm/test.sh and
# calib-node/test.sh build them; scripts/test.sh runs those first), and
# Chromium (Debian's). A re-run with nothing changed takes about 30 s (10 of them the bench).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

step() { printf '\n==> examples/frontend: %s\n' "$*"; }

node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || { echo "examples/frontend needs Node.js >= 20.19 (Vite 8), found $(node --version)" >&2; exit 1; }
for f in "$ROOT/calib-wasm/pkg/web/calib_wasm.js" "$ROOT/calib-wasm/pkg/web/calib_wasm_bg.wasm"; do
  [ -f "$f" ] || { echo "$f is missing: run calib-wasm/test.sh build first" >&2; exit 1; }
done
ls "$ROOT"/calib-node/calib-node.*.node >/dev/null 2>&1 \
  || { echo "calib-node's addon is missing (the native reference): run calib-node/test.sh first" >&2; exit 1; }
command -v "${CALIB_CHROMIUM:-/usr/bin/chromium}" >/dev/null \
  || { echo "Chromium not found (apt-get install chromium, or set CALIB_CHROMIUM)" >&2; exit 1; }

step "npm packages (npm ci when package-lock.json changed)"
STAMP=node_modules/.calib-package-lock.json
if ! cmp -s package-lock.json "$STAMP"; then
  npm ci --ignore-scripts --no-audit --no-fund
  cp package-lock.json "$STAMP"
fi

step "data files from tests/vectors/parity.json (prepare.mjs)"
node prepare.mjs

step "type-check src/ (tsc --noEmit --strict)"
node_modules/.bin/tsc -p tsconfig.json

step "build with esbuild ($(node -p 'require("esbuild/package.json").version')) and with Vite ($(node -p 'require("vite/package.json").version'))"
node build-esbuild.mjs
node_modules/.bin/vite build

step "bundle sizes (README.md's browser section states them)"
node sizes.mjs esbuild dist-esbuild
node sizes.mjs vite dist-vite
node - "$ROOT/README.md" "$CARGO_TARGET_DIR/js/frontend" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const [readme, dir] = process.argv.slice(2);
const text = fs.readFileSync(readme, 'utf8');
for (const name of ['esbuild', 'vite']) {
  const s = JSON.parse(fs.readFileSync(path.join(dir, `sizes-${name}.json`), 'utf8'));
  // A row of the README's table: | esbuild … | JS raw KiB | JS gzipped | wasm raw | wasm gzipped |
  const row = new RegExp(`^\\| ${name === 'vite' ? 'Vite' : 'esbuild'} [^|]*\\|([^|]*)\\|([^|]*)\\|([^|]*)\\|([^|]*)\\|`, 'm').exec(text);
  if (!row) throw new Error(`README.md has no bundle-size row for ${name}`);
  const stated = row.slice(1, 5).map((c) => Number.parseFloat(c));
  const measured = [s.js.raw, s.js.gzip, s.wasm.raw, s.wasm.gzip].map((b) => b / 1024);
  stated.forEach((v, i) => {
    if (!(Math.abs(v - measured[i]) <= 0.1 * measured[i])) {
      throw new Error(`README.md's ${name} row says ${row.slice(1, 5).join('|')}, measured ${measured.map((m) => m.toFixed(1)).join(' | ')} KiB: update README.md`);
    }
  });
  console.log(`README.md's ${name} row matches (within 10 %)`);
}
JS

step "both builds in headless Chromium (test.mjs)"
node --test test.mjs

step "bench: applyBatch ns per score, WebAssembly (Node, Chromium) against the native core (bench.mjs; printed, not asserted)"
node bench.mjs

step "all tests passed"
