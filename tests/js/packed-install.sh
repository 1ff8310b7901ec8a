#!/usr/bin/env bash
# Installs a calib JS package the way a consumer does, from its `npm pack`
# tarball, and tests it there (issue 16, part 4):
#   1. `npm pack` the package folder; the tarball holds exactly the files a
#      consumer needs (checked against the list below);
#   2. a fresh consumer project under <target>/js/packed/<package>/consumer
#      installs the tarball (`npm install <tarball>`, offline: the packages
#      have no dependencies);
#   3. the package is imported from ESM (check.mjs) and from CommonJS
#      (check.cjs), and each calibrates every apply case of
#      tests/vectors/parity.json bit for bit (packed/verify.cjs); calib-wasm's
#      web entry (calib-wasm/web + initSync over the shipped .wasm) too, and
#      its serve entry (calib-wasm/serve, calib-wasm/serve/web) likewise;
#   4. a TypeScript consumer (an .mts and a .cts file) type-checks against the
#      shipped .d.ts with `tsc --noEmit --strict`, skipLibCheck off, with the
#      TypeScript of the package's own devDependencies.
#
# Usage: tests/js/packed-install.sh calib-node|calib-wasm   (after the package's build)
# A run takes a few seconds; it starts from an empty consumer every time.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PKG=${1:?usage: packed-install.sh calib-node|calib-wasm}
PKG_DIR="$ROOT/$PKG"
HERE="$ROOT/tests/js/packed"

# What the tarball must hold: exactly these paths (a regex per line).
case "$PKG" in
  calib-node)
    # The addon of this platform only (see calib-node/README.md for the others).
    expected='^(package\.json|README\.md|index\.js|index\.d\.ts|calib-node\.linux-x64-gnu\.node)$'
    required='package.json index.js index.d.ts calib-node.linux-x64-gnu.node'
    ;;
  calib-wasm)
    expected='^(package\.json|README\.md|pkg/(web|node|serve-web|serve-node)/(package\.json|calib_wasm\.js|calib_wasm\.d\.ts|calib_wasm_bg\.wasm|calib_wasm_bg\.wasm\.d\.ts))$'
    required='package.json pkg/web/calib_wasm.js pkg/web/calib_wasm_bg.wasm pkg/web/calib_wasm.d.ts pkg/node/calib_wasm.js pkg/node/calib_wasm_bg.wasm pkg/node/calib_wasm.d.ts'
    for d in serve-web serve-node; do
      required="$required pkg/$d/calib_wasm.js pkg/$d/calib_wasm_bg.wasm pkg/$d/calib_wasm.d.ts"
    done
    ;;
  *) echo "packed-install.sh: unknown package $PKG" >&2; exit 2 ;;
esac

WORK="$TARGET/js/packed/$PKG"
rm -rf "$WORK"
mkdir -p "$WORK/consumer"

echo "npm pack $PKG"
(cd "$PKG_DIR" && npm pack --json --pack-destination "$WORK" >"$WORK/pack.json")
TARBALL=$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")
node - "$WORK/pack.json" "$expected" "$required" <<'JS'
const [packJson, expected, required] = process.argv.slice(2);
const [pack] = require(packJson);
const files = pack.files.map((f) => f.path);
const extra = files.filter((f) => !new RegExp(expected).test(f));
const missing = required.split(' ').filter((f) => !files.includes(f));
if (extra.length || missing.length) {
  throw new Error(`${pack.filename}: unexpected files ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`);
}
console.log(`${pack.filename}: ${files.length} files, ${(pack.size / 1024).toFixed(1)} KiB packed, ${(pack.unpackedSize / 1024).toFixed(1)} KiB unpacked`);
JS

cd "$WORK/consumer"
echo '{ "name": "calib-consumer", "version": "1.0.0", "private": true }' >package.json
npm install --offline --no-audit --no-fund --ignore-scripts --loglevel=error "$WORK/$TARBALL"
[ -L "node_modules/$PKG" ] && { echo "node_modules/$PKG is a link, not an installed copy" >&2; exit 1; }

cp "$HERE/verify.cjs" .
cat >check.mjs <<JS
import * as calib from '$PKG';
import verify from './verify.cjs';
console.log(verify(calib, 'ESM import'));
JS
cat >check.cjs <<JS
const calib = require('$PKG');
const verify = require('./verify.cjs');
console.log(verify(calib, 'CommonJS require'));
JS
export CALIB_VECTORS="$ROOT/tests/vectors"
node check.mjs
node check.cjs

# The TypeScript consumer: one ES module and one CommonJS module.
cat >types.mts <<TS
import { Calibrator, fingerprint, evaluate } from '$PKG';
import type { Metrics } from '$PKG';
const model: Calibrator = Calibrator.fromJSON('{"schema_version": 1}');
const out: Float64Array = model.applyBatch(new Float64Array([0.25, 0.5]), 'web');
const metrics: Metrics = evaluate(out, [0, 1], 10);
const fp: string = fingerprint();
// @ts-expect-error: a score is a number (the types are loaded, not any)
model.apply('0.5');
export { out, metrics, fp };
TS
cat >types.cts <<TS
import calib = require('$PKG');
const model: calib.Calibrator = calib.Calibrator.fromJSON('{"schema_version": 1}');
const p: number = model.apply(0.5, null);
// @ts-expect-error: applyBatch returns a Float64Array
const wrong: number[] = model.applyBatch([0.5]);
export = { p, wrong };
TS
files='"types.mts", "types.cts"'
# calib-node's types need no more than ES2022; calib-wasm's classes declare
# [Symbol.dispose] (esnext.disposable) and its web loader takes DOM types.
lib='"es2022"'
if [ "$PKG" = calib-wasm ]; then
  # The web entry, as a bundler or a page loads it; in Node, initSync over
  # the shipped module's bytes.
  cat >check-web.mjs <<'JS'
import { readFileSync } from 'node:fs';
import * as web from 'calib-wasm/web';
import verify from './verify.cjs';
web.initSync({ module: readFileSync(new URL(import.meta.resolve('calib-wasm/calib_wasm_bg.wasm'))) });
console.log(verify(web, 'ESM import of calib-wasm/web'));
JS
  node check-web.mjs
  # The serve entry (calib-wasm/serve: the serving subset, the pinned
  # fingerprint), from ESM, CommonJS and as calib-wasm/serve/web.
  cat >check-serve.mjs <<'JS'
import { readFileSync } from 'node:fs';
import * as serve from 'calib-wasm/serve';
import * as web from 'calib-wasm/serve/web';
import verify from './verify.cjs';
console.log(verify(serve, 'ESM import of calib-wasm/serve'));
web.initSync({ module: readFileSync(new URL(import.meta.resolve('calib-wasm/serve/calib_wasm_bg.wasm'))) });
console.log(verify(web, 'ESM import of calib-wasm/serve/web'));
JS
  node check-serve.mjs
  node -e "console.log(require('./verify.cjs')(require('calib-wasm/serve'), 'CommonJS require of calib-wasm/serve'))"
  cat >types-serve.mts <<'TS'
import { Calibrator, bucket, fingerprint } from 'calib-wasm/serve';
import type { ApplyCounts } from 'calib-wasm/serve';
// @ts-expect-error: the serve entry has no metrics
import { evaluate } from 'calib-wasm/serve';
const model: Calibrator = Calibrator.fromJSON('{"schema_version": 1}');
const out: Float64Array = model.applyBatch(new Float64Array([0.25, 0.5]));
const counts: ApplyCounts = model.stats();
const b: number = bucket('salt', 'key');
const fp: string = fingerprint();
// @ts-expect-error: nor the manifest loader
Calibrator.fromManifest('', '', { keys: [] });
export { out, counts, b, fp, evaluate };
TS
  cat >types-web.mts <<'TS'
import init, { Calibrator } from 'calib-wasm/web';
await init();
const model: Calibrator = Calibrator.fromJSON('{"schema_version": 1}');
const p: number = model.apply(0.5);
model.free();
export { p };
TS
  files="$files, \"types-web.mts\", \"types-serve.mts\""
  lib='"es2022", "esnext.disposable", "dom"'
fi
cat >tsconfig.json <<JSON
{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "target": "es2022",
    "lib": [$lib],
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": [],
    "skipLibCheck": false
  },
  "files": [$files]
}
JSON
"$PKG_DIR/node_modules/.bin/tsc" -p tsconfig.json
echo "tsc --noEmit --strict: the consumer type-checks against $PKG's shipped .d.ts"
