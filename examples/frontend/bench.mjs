// Batch-apply speed, WebAssembly against the native core, in one run
// (issue 16, part 5; examples/frontend/test.sh runs it after the tests):
//
//   node bench.mjs
//
// Each runtime calibrates the same 10^6 scores (src/scores.ts's batch, class
// news, the example's model) with applyBatch: two untimed warm-up runs, then
// 15 timed runs; the median is reported in ns per score:
//   - native: calib-node's addon (calib-core compiled for this machine; it
//     reads the Float64Array in place and allocates the result);
//   - wasm in Node: calib-wasm's Node build (copies the scores into
//     WebAssembly memory and the result out);
//   - wasm in Chromium: the page's "Time applyBatch" button, in each build.
// The native core is timed before and after the others, and its median is
// over both sets. The ratio to native is printed against the target of 2x.
// It is a measurement, not a pass/fail test: this runs on shared machines.
// Writes <target>/js/frontend/bench.json.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');
const CHROMIUM = process.env.CALIB_CHROMIUM || '/usr/bin/chromium';
const RUNS = 15;
const N = 1_000_000;
const require = createRequire(import.meta.url);
const native = require(path.join(ROOT, 'calib-node'));
const wasm = require(path.join(ROOT, 'calib-wasm', 'pkg', 'node', 'calib_wasm.js'));
const modelText = fs.readFileSync(path.join(HERE, 'public', 'model.json'), 'utf8');
const scores = Float64Array.from({ length: N }, (_, i) => ((i * 7919) % 1000003) / 1000003);

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function time(calib) {
  const model = calib.Calibrator.fromJSON(modelText);
  for (let i = 0; i < 2; i++) model.applyBatch(scores, 'news');
  const ns = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    model.applyBatch(scores, 'news');
    ns.push(Number(process.hrtime.bigint() - t0) / N);
  }
  return ns;
}

function serve(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    const file = path.resolve(dir, '.' + (p === '/' ? '/index.html' : p));
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const results = {};
const nativeRuns = time(native);
results['wasm, Node ' + process.versions.node] = time(wasm);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  chromiumSandbox: false,
  args: ['--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const version = browser.version();
  for (const build of ['esbuild', 'vite']) {
    const server = await serve(path.join(HERE, `dist-${build}`));
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => globalThis.__calibPage && (globalThis.__calibPage.ready || globalThis.__calibPage.error));
      await page.click('#bench-run');
      await page.waitForFunction(() => globalThis.__calibPage.bench, null, { timeout: 120000 });
      const bench = await page.evaluate(() => globalThis.__calibPage.bench);
      results[`wasm, Chromium ${version} (${build} build)`] = bench.nsPerScore;
      await page.close();
    } finally {
      server.close();
    }
  }
} finally {
  await browser.close();
}
nativeRuns.push(...time(native));

const nativeNs = median(nativeRuns);
const rows = [{ runtime: 'native (calib-node addon)', ns: nativeNs }];
for (const [runtime, ns] of Object.entries(results)) rows.push({ runtime, ns: median(ns) });
console.log(`applyBatch, ${N} scores, median of ${RUNS} runs (native: of ${nativeRuns.length}), ns per score; target <= 2x native:`);
for (const r of rows) {
  const ratio = r.ns / nativeNs;
  console.log(`  ${r.runtime.padEnd(48)} ${r.ns.toFixed(2).padStart(7)}  ${ratio.toFixed(2)}x${r === rows[0] ? '' : ratio <= 2 ? '  (target met)' : '  (above the 2x target)'}`);
}
const out = path.join(TARGET, 'js', 'frontend', 'bench.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, n: N, runs: RUNS, rows }, null, 2) + '\n');
