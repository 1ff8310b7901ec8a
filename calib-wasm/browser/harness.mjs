// The browser side of the wasm-chromium run (calib-wasm/browser/chromium.test.mjs
// serves this page on 127.0.0.1 and drives Chromium).
//
// It provides globalThis.CALIB_HARNESS (tests/js/API.md), imports the shared
// suite tests/js/calib.test.mjs unchanged, runs the tests it registers one by
// one, and leaves the results on the page and in globalThis.__calibResults,
// where the driver reads them. The suite's parity test calibrates every
// conformance vector with the web build and posts its outputs back.
//
// It then runs the README.md blocks fenced as ```js calib-wasm browser, as a
// page would: `import ... from 'calib-wasm'` resolves through the page's
// import map to the web build, and /model.json is served by the driver.

const registered = [];

globalThis.CALIB_HARNESS = {
  impl: 'wasm-chromium',
  test(name, fn) {
    registered.push({ name, fn });
  },
  async loadCalib() {
    // The web build as a user's page loads it: the ES module, then init()
    // fetches and instantiates calib_wasm_bg.wasm next to it.
    const calib = await import('calib-wasm');
    await calib.default();
    return calib;
  },
  async loadFixture(name) {
    // <target>/js/fixtures/<name> (tests/js/make-fixtures.sh), as text; null when absent.
    const r = await fetch(`/fixtures/${name.split('/').map(encodeURIComponent).join('/')}`);
    if (r.status === 404) return null;
    if (!r.ok) throw new Error(`GET /fixtures/${name}: HTTP ${r.status}`);
    return r.text();
  },
  async loadVector(name) {
    // tests/vectors/<name>, parsed; null when the file does not exist.
    const r = await fetch(`/tests/vectors/${encodeURIComponent(name)}`);
    if (r.status === 404) return null;
    if (!r.ok) throw new Error(`GET /tests/vectors/${name}: HTTP ${r.status}`);
    return r.json();
  },
  async reportParity(outputs) {
    const r = await fetch('/parity', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(outputs),
    });
    if (!r.ok) throw new Error(`POST /parity: HTTP ${r.status} ${await r.text()}`);
  },
};

function show(result) {
  const li = document.createElement('li');
  li.className = result.ok ? 'pass' : 'fail';
  li.textContent = `${result.ok ? 'ok' : 'FAILED'} ${result.name} (${result.ms.toFixed(1)} ms)${result.ok ? '' : '\n' + result.error}`;
  document.getElementById('results').append(li);
}

/** Registers one test per README.md block fenced as ```js calib-wasm browser. */
async function readmeSnippets() {
  const text = await (await fetch('/README.md')).text();
  const blocks = [...text.matchAll(/^```js calib-wasm browser[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => m[1]);
  globalThis.CALIB_HARNESS.test('wasm-chromium: README.md has a calib-wasm browser snippet', () => {
    if (blocks.length === 0) throw new Error('no ```js calib-wasm browser block in README.md');
  });
  blocks.forEach((code, i) => {
    globalThis.CALIB_HARNESS.test(`wasm-chromium: README.md calib-wasm browser snippet ${i + 1} runs as written`, async () => {
      const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
      try {
        await import(url);
      } finally {
        URL.revokeObjectURL(url);
      }
    });
  });
}

async function main() {
  const results = [];
  try {
    await import('/tests/js/calib.test.mjs');
  } catch (e) {
    results.push({ name: 'wasm-chromium: load tests/js/calib.test.mjs', ok: false, ms: 0, error: String(e && e.stack) });
  }
  await readmeSnippets();
  for (const { name, fn } of registered) {
    const t0 = performance.now();
    let error = null;
    try {
      await fn();
    } catch (e) {
      error = String((e && e.stack) || e);
    }
    const result = { name, ok: error === null, ms: performance.now() - t0, error };
    results.push(result);
    show(result);
  }
  const failed = results.filter((r) => !r.ok).length;
  document.getElementById('status').textContent =
    `${results.length - failed} passed, ${failed} failed (${navigator.userAgent})`;
  globalThis.__calibResults = { userAgent: navigator.userAgent, results };
}

main().catch((e) => {
  globalThis.__calibResults = {
    userAgent: navigator.userAgent,
    results: [{ name: 'wasm-chromium: harness', ok: false, ms: 0, error: String(e && e.stack) }],
  };
});
