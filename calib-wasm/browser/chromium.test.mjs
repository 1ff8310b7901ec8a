// The wasm-chromium run of the shared JS suite (tests/js/calib.test.mjs):
//
//   CALIB_JS_IMPL=wasm-chromium node --test calib-wasm/browser/chromium.test.mjs
//
// (calib-wasm/test.sh runs it). In Node, CALIB_JS_IMPL picks the build the
// suite loads; a browser build needs a browser, so this driver is the
// wasm-chromium entry point, and the page runs tests/js/calib.test.mjs itself.
//
// Serves calib-wasm/browser/index.html, the web build (calib-wasm/pkg/web),
// the shared suite and the conformance vectors on 127.0.0.1, opens the page
// in headless Chromium (Debian's, through playwright-core), waits for the
// page to run every test of the suite against the web build, and reports
// each as a test of its own here. The page posts its parity outputs, which
// are written to <target>/parity/wasm-chromium.json, and runs the README's
// browser snippets (which fetch /model.json: a model of the parity vectors).
//
// Environment: CARGO_TARGET_DIR (default: target/ at the repository root),
// CALIB_CHROMIUM (default /usr/bin/chromium), CALIB_BROWSER_TIMEOUT_MS
// (default 120000).

import { test } from 'node:test';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG = path.resolve(HERE, '..');
const ROOT = path.resolve(PKG, '..');
const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');
const PARITY_FILE = path.join(TARGET, 'parity', 'wasm-chromium.json');
const CHROMIUM = process.env.CALIB_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT_MS = Number(process.env.CALIB_BROWSER_TIMEOUT_MS || 120000);
if ((process.env.CALIB_JS_IMPL || 'wasm-chromium') !== 'wasm-chromium') {
  throw new Error(`CALIB_JS_IMPL=${process.env.CALIB_JS_IMPL}: this driver runs wasm-chromium only`);
}

// URL prefix -> folder. Nothing outside these folders is served.
const ROUTES = [
  ['/pkg/web/', path.join(PKG, 'pkg', 'web')],
  ['/tests/js/', path.join(ROOT, 'tests', 'js')],
  ['/tests/vectors/', path.join(ROOT, 'tests', 'vectors')],
  // Signed-manifest fixtures (tests/js/make-fixtures.sh).
  ['/fixtures/', path.join(TARGET, 'js', 'fixtures')],
  ['/', HERE],
];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  // instantiateStreaming needs this exact type.
  '.wasm': 'application/wasm',
};

function resolveStatic(urlPath) {
  const p = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath);
  for (const [prefix, dir] of ROUTES) {
    if (!p.startsWith(prefix)) continue;
    const file = path.resolve(dir, '.' + p.slice(prefix.length - 1));
    if (!file.startsWith(dir + path.sep)) return null;
    return file;
  }
  return null;
}

let parityPosted = false;

function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/README.md') {
    res.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8' });
    fs.createReadStream(path.join(ROOT, 'README.md')).pipe(res);
    return;
  }
  if (req.method === 'GET' && url.pathname === '/model.json') {
    // A model as `calib fit` writes it, with classes: one of the parity vectors'.
    const vectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'vectors', 'parity.json'), 'utf8'));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(vectors.models.isotonic_fallback));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/parity') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const outputs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (outputs.runtime !== 'wasm-chromium') throw new Error(`runtime is ${outputs.runtime}`);
        fs.mkdirSync(path.dirname(PARITY_FILE), { recursive: true });
        fs.writeFileSync(PARITY_FILE, JSON.stringify(outputs) + '\n');
        parityPosted = true;
        res.writeHead(204).end();
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(e));
      }
    });
    return;
  }
  const file = req.method === 'GET' ? resolveStatic(url.pathname) : null;
  if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
    'cache-control': 'no-store',
  });
  fs.createReadStream(file).pipe(res);
}

for (const f of ['calib_wasm.js', 'calib_wasm_bg.wasm']) {
  if (!fs.existsSync(path.join(PKG, 'pkg', 'web', f))) {
    throw new Error(`calib-wasm/pkg/web/${f} is missing: build first (calib-wasm/test.sh build)`);
  }
}
fs.rmSync(PARITY_FILE, { force: true });

const server = http.createServer(handle);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

let report;
let browser;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    // No traffic beyond 127.0.0.1: no GPU process, no QUIC, no background
    // fetches, component updates or sync. Playwright supplies a fresh
    // temporary --user-data-dir.
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') process.stderr.write(`[chromium ${m.type()}] ${m.text()}\n`);
  });
  page.on('pageerror', (e) => process.stderr.write(`[chromium page error] ${e.stack || e}\n`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => globalThis.__calibResults !== undefined, null, { timeout: TIMEOUT_MS });
  report = await page.evaluate(() => globalThis.__calibResults);
  // For a person: what the page shows (read it with any image viewer).
  fs.mkdirSync(path.join(TARGET, 'js', 'wasm-chromium'), { recursive: true });
  await page.screenshot({ path: path.join(TARGET, 'js', 'wasm-chromium', 'page.png'), fullPage: true });
} finally {
  if (browser) await browser.close();
  server.close();
}

process.stderr.write(`wasm-chromium: ${report.userAgent}\n`);
test('wasm-chromium: the page ran the shared suite', () => {
  if (report.results.length < 10) {
    throw new Error(`only ${report.results.length} tests ran in the page: ${JSON.stringify(report.results)}`);
  }
});
for (const r of report.results) {
  test(r.name, () => {
    if (!r.ok) throw new Error(`failed in Chromium:\n${r.error}`);
  });
}
test('wasm-chromium: the page posted its parity outputs', () => {
  if (!parityPosted || !fs.existsSync(PARITY_FILE)) throw new Error(`${PARITY_FILE} was not written`);
  const outputs = JSON.parse(fs.readFileSync(PARITY_FILE, 'utf8'));
  if (Object.keys(outputs.apply).length === 0) throw new Error('no apply outputs');
});
