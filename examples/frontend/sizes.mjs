// Prints the sizes of a build (JS and wasm, raw and gzipped at level 9) and
// writes them to <target>/js/frontend/sizes-<name>.json.
//   node sizes.mjs <name> <dist folder>
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const [name, dist] = process.argv.slice(2);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');

const files = [];
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(js|wasm)$/.test(e.name)) {
      const bytes = fs.readFileSync(p);
      files.push({ file: path.relative(dist, p), raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length });
    }
  }
};
walk(dist);
files.sort((a, b) => a.file.localeCompare(b.file));
const kib = (n) => (n / 1024).toFixed(1).padStart(7);
const total = (re) => files.filter((f) => re.test(f.file)).reduce((s, f) => ({ raw: s.raw + f.raw, gzip: s.gzip + f.gzip }), { raw: 0, gzip: 0 });
const js = total(/\.js$/);
const wasm = total(/\.wasm$/);
console.log(`${name} build (${path.relative(process.cwd(), dist)}/), KiB raw / gzipped:`);
for (const f of files) console.log(`  ${f.file.padEnd(34)} ${kib(f.raw)} ${kib(f.gzip)}`);
console.log(`  ${'JS total'.padEnd(34)} ${kib(js.raw)} ${kib(js.gzip)}`);
console.log(`  ${'wasm'.padEnd(34)} ${kib(wasm.raw)} ${kib(wasm.gzip)}`);
const out = path.join(TARGET, 'js', 'frontend', `sizes-${name}.json`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ name, files, js, wasm }, null, 2) + '\n');
