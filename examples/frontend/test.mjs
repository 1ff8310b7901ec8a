// The frontend example in headless Chromium (examples/frontend/test.sh runs it):
//
//   node --test examples/frontend/test.mjs
//
// For each build (dist-esbuild/, dist-vite/) it serves the folder on
// 127.0.0.1, opens the page in Debian's Chromium (through playwright-core) and
// checks what the page shows against the native core, which is calib-node's
// addon (calib-core compiled for this machine) run here in Node on the same
// inputs:
//   - the scores a user types (the parity vectors' isotonic_fallback/news/edges
//     scores: NaN, ±inf, −0, subnormals, breakpoints) and the page's default
//     text are calibrated to the native bits (and to the vectors' expected bits);
//   - the bundled sample's metrics and reliability bins, every field, bit for bit;
//     the diagram has one bar per bin;
//   - 10^6 scores calibrated in the worker: the scores' and the result's SHA-256
//     equal the native ones, the scores' buffer was transferred, and the page's
//     thread kept running tasks meanwhile (it never waited as long as the
//     batch took, nor 50 ms), while the same batch on the main thread blocks
//     it for the length of the batch.
//
// Environment: CARGO_TARGET_DIR, CALIB_CHROMIUM (default /usr/bin/chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');
const CHROMIUM = process.env.CALIB_CHROMIUM || '/usr/bin/chromium';
// The page's thread may wait this long for a task while the worker calibrates (or applyBatch's time, if longer).
const MAX_GAP_MS = 50;

// The native core: calib-node's addon, as built by calib-node/test.sh.
const native = createRequire(import.meta.url)(path.join(ROOT, 'calib-node'));
const vectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'vectors', 'parity.json'), 'utf8'));
const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'vectors', 'core_fingerprint.json'), 'utf8')).sha256;
const modelText = fs.readFileSync(path.join(HERE, 'public', 'model.json'), 'utf8');
const sample = JSON.parse(fs.readFileSync(path.join(HERE, 'src', 'sample.json'), 'utf8'));
const model = native.Calibrator.fromJSON(modelText);

const hexOf = (x) => Buffer.from(new Float64Array([x]).buffer).readBigUInt64LE().toString(16).padStart(16, '0');
const fromHex = (h) => new Float64Array(BigUint64Array.of(BigInt('0x' + h)).buffer)[0];
const show = (x) => (Object.is(x, -0) ? '-0' : String(x));
const sha256 = (f64) => crypto.createHash('sha256').update(new Uint8Array(f64.buffer, f64.byteOffset, f64.byteLength)).digest('hex');
/** src/scores.ts's batch, here: the same integer arithmetic and division. */
const batchScores = (n) => Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 1000003) / 1000003);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

function serve(dir) {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    const file = path.resolve(dir, '.' + (p === '/' ? '/index.html' : p));
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  chromiumSandbox: false,
  args: ['--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
test.after(() => browser.close());

for (const build of ['esbuild', 'vite']) {
  const dist = path.join(HERE, `dist-${build}`);
  test(`${build}: the page in Chromium gives the native core's bits, and the worker keeps the page responsive`, async (t) => {
    assert.ok(fs.existsSync(path.join(dist, 'index.html')), `${dist} is not built (examples/frontend/test.sh builds it)`);
    const server = await serve(dist);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => globalThis.__calibPage && (globalThis.__calibPage.ready || globalThis.__calibPage.error), null, { timeout: 60000 });
      const state = () => page.evaluate(() => globalThis.__calibPage);
      const first = await state();
      assert.equal(first.error, null, 'the page loaded');
      assert.equal(first.fingerprint, pinned, 'the core fingerprint computed in the page');

      const typedRows = async () =>
        page.$$eval('#calibrated li', (lis) => lis.map((li) => ({ score: li.dataset.score, p: li.dataset.p, text: li.textContent })));
      const checkTyped = async (scores, cls, expected) => {
        const want = Array.from(model.applyBatch(new Float64Array(scores), cls), hexOf);
        if (expected) assert.deepEqual(want, expected, 'calib-node agrees with the parity vectors');
        const rows = await typedRows();
        assert.equal(rows.length, scores.length, 'one output per typed score');
        rows.forEach((r, i) => {
          assert.equal(r.score, hexOf(scores[i]), `typed score ${i} reached the page as the same double`);
          assert.equal(r.p, want[i], `score ${show(scores[i])} (class ${cls}): page ${r.p}, native ${want[i]}`);
          assert.equal(r.text, `${show(scores[i])} → ${show(fromHex(want[i]))}`, 'what the page shows');
        });
      };

      await t.test('the default scores, global map', async () => {
        const text = await page.inputValue('#scores');
        await checkTyped(text.split(/[\s,]+/).filter(Boolean).map(Number), null);
      });
      await t.test('typed scores, class news (the parity vectors\' edge cases)', async () => {
        const c = vectors.apply.find((a) => a.name === 'isotonic_fallback/news/edges');
        const scores = c.scores.map(fromHex);
        await page.fill('#scores', scores.map(show).join(' '));
        await page.selectOption('#class', 'news');
        await page.click('#calibrate button[type=submit]');
        await checkTyped(scores, 'news', c.expected);
      });
      await t.test('the bundled sample: metrics and reliability bins, bit for bit; one bar per bin', async () => {
        const s = await state();
        const wantMetrics = native.evaluate(sample.probs, sample.labels, sample.bins);
        for (const k of Object.keys(wantMetrics)) assert.equal(hexOf(s.metrics[k]), hexOf(wantMetrics[k]), `metric ${k}`);
        const wantBins = native.reliabilityBins(sample.probs, sample.labels, sample.bins);
        assert.equal(s.bins.length, wantBins.length, 'bins');
        wantBins.forEach((b, i) => {
          for (const k of Object.keys(b)) assert.equal(hexOf(s.bins[i][k]), hexOf(b[k]), `bin ${i} ${k}`);
        });
        assert.equal(await page.locator('#diagram rect.bin').count(), wantBins.length, 'bars drawn');
      });

      const scores = batchScores(1_000_000);
      const want = { scores: sha256(scores), out: sha256(model.applyBatch(scores, 'news')) };
      const runBatch = async (where) => {
        await page.click(`#batch-${where}`);
        await page.waitForFunction(() => globalThis.__calibPage.batch || globalThis.__calibPage.error, null, { timeout: 60000 });
        const s = await state();
        assert.equal(s.error, null);
        const run = s.batch;
        assert.equal(run.where, where);
        assert.equal(run.n, 1_000_000);
        assert.equal(run.scoresSha256, want.scores, 'the page calibrated the same 10^6 scores');
        assert.equal(run.outSha256, want.out, 'the 10^6 results are the native bits');
        return run;
      };
      let worker;
      await t.test('10^6 scores in the worker: native bits, transferred, the page stays responsive', async () => {
        worker = await runBatch('worker');
        t.diagnostic(`worker: ${JSON.stringify(worker)}`);
        assert.equal(worker.transferred, true, 'the scores were transferred to the worker');
        assert.ok(worker.beats >= 3, `the page ran ${worker.beats} tasks while the worker calibrated`);
        // A blocked page waits at least as long as applyBatch runs (the main-thread
        // run below shows it); the page must never have waited that long, nor
        // MAX_GAP_MS, whichever is longer (the floor is for fast machines, where
        // applyBatch is over in a few timer ticks).
        const limit = Math.max(MAX_GAP_MS, worker.applyMs);
        assert.ok(worker.maxGapMs < limit, `the page waited ${worker.maxGapMs.toFixed(1)} ms for a task (limit ${limit.toFixed(1)} ms)`);
      });
      await t.test('the same batch on the main thread blocks it (what the heartbeat measures)', async () => {
        const main = await runBatch('main');
        t.diagnostic(`main thread: ${JSON.stringify(main)}`);
        assert.ok(main.maxGapMs >= main.applyMs, `the longest wait ${main.maxGapMs.toFixed(1)} ms covers applyBatch's ${main.applyMs.toFixed(1)} ms`);
      });
      assert.deepEqual(problems, [], 'no page errors');
      fs.mkdirSync(path.join(TARGET, 'js', 'frontend'), { recursive: true });
      await page.screenshot({ path: path.join(TARGET, 'js', 'frontend', `page-${build}.png`), fullPage: true });
    } finally {
      await context.close();
      server.close();
    }
  });
}
