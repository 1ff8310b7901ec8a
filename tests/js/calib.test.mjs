// One test suite for every JavaScript build of calib (tests/js/API.md):
//
//   CALIB_JS_IMPL=node      node --test tests/js/calib.test.mjs   calib-node (napi-rs)
//   CALIB_JS_IMPL=wasm-node node --test tests/js/calib.test.mjs   calib-wasm in Node
//   wasm-chromium: a page sets globalThis.CALIB_HARNESS, then imports this file
//
// The file has no top-level imports, so that a browser can load it: everything
// Node-only is imported inside nodeHarness(), which runs only when no harness
// was provided.

// ---------------------------------------------------------------------------
// Harness: where tests register, how the implementation and the vectors load.

/** Node packages by CALIB_JS_IMPL: npm name and folder (from the repository root). */
const NODE_IMPLS = {
  node: { pkg: 'calib-node', dir: 'calib-node' },
  'wasm-node': { pkg: 'calib-wasm', dir: 'calib-wasm' },
};

async function nodeHarness() {
  const { test } = await import('node:test');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(process.env.CARGO_TARGET_DIR)
    : path.join(root, 'target');
  const impl = process.env.CALIB_JS_IMPL || 'node';
  const spec = NODE_IMPLS[impl];
  if (!spec) {
    throw new Error(`CALIB_JS_IMPL=${impl}: expected one of ${Object.keys(NODE_IMPLS).join(', ')}`);
  }
  const pkgDir = path.resolve(process.env.CALIB_JS_PACKAGE_DIR || path.join(root, spec.dir));

  // A consumer project in which `import '<pkg>'` resolves to the package, as
  // it does after `npm install <pkg>`: the suite and the README snippets load
  // calib exactly as a user's code does.
  const consumer = path.join(target, 'js', impl);
  const link = path.join(consumer, 'node_modules', spec.pkg);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  let current = null;
  try {
    current = fs.readlinkSync(link);
  } catch {
    // no link yet
  }
  if (current !== pkgDir) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(pkgDir, link, 'dir');
  }
  fs.writeFileSync(path.join(consumer, 'package.json'), '{ "private": true, "type": "module" }\n');
  const writeModule = (name, text) => {
    const file = path.join(consumer, name);
    fs.writeFileSync(file, text);
    return pathToFileURL(file).href;
  };
  const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8'));

  return {
    impl,
    test,
    async loadCalib() {
      const url = writeModule('load.mjs', `export * as calib from ${JSON.stringify(spec.pkg)};\n`);
      const { calib } = await import(url);
      // A CommonJS package shows its exports on `default` as well; prefer the named ones.
      return calib.Calibrator ? calib : calib.default;
    },
    async loadFixture(name) {
      const file = path.join(target, 'js', 'fixtures', name);
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    },
    async loadVector(name) {
      const rel = `tests/vectors/${name}`;
      return fs.existsSync(path.join(root, rel)) ? readJson(rel) : null;
    },
    async reportParity(outputs) {
      const dir = path.join(target, 'parity');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${outputs.runtime}.json`), JSON.stringify(outputs) + '\n');
    },
    /** The README.md blocks fenced as ```js <pkg>, each written as a module in the consumer folder. */
    readmeSnippets() {
      const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
      const fence = new RegExp('^```js ' + spec.pkg.replace(/[-]/g, '\\-') + '[ \\t]*\\n([\\s\\S]*?)^```[ \\t]*$', 'gm');
      return [...text.matchAll(fence)].map((m, i) => ({
        name: `README.md ${spec.pkg} snippet ${i + 1}`,
        url: writeModule(`readme-${i + 1}.mjs`, m[1]),
      }));
    },
  };
}

const harness = globalThis.CALIB_HARNESS ?? (await nodeHarness());
const { test } = harness;
const IMPL = harness.impl;
const calib = await harness.loadCalib();
const { Calibrator } = calib;

// ---------------------------------------------------------------------------
// Small assertions (the same in Node and in a browser).

function fail(msg) {
  throw new Error(msg);
}
function ok(cond, msg) {
  if (!cond) fail(msg || 'assertion failed');
}
/** Same value, with NaN equal to NaN and -0 different from 0 (Object.is). */
function same(got, want, msg) {
  if (!Object.is(got, want)) fail(`${msg ? msg + ': ' : ''}got ${fmt(got)}, want ${fmt(want)}`);
}
function fmt(v) {
  return Object.is(v, -0) ? '-0' : String(v);
}
/** Runs fn, expects it to throw an Error with this code; returns the error. */
function throwsCode(fn, code, msg) {
  let err = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  ok(err !== null, `${msg || 'call'}: expected a throw with code ${code}, nothing was thrown`);
  ok(err instanceof Error, `${msg || 'call'}: thrown value is not an Error: ${fmt(err)}`);
  same(err.code, code, `${msg || 'call'}: error code (message: ${err.message})`);
  ok(typeof err.message === 'string' && err.message.length > 0, 'error has a message');
  return err;
}

// ---------------------------------------------------------------------------
// Bits: floats travel through the vectors as 16 hex digits of their IEEE-754 bits.

function floatsFromHex(hexes) {
  const bits = new BigUint64Array(hexes.length);
  hexes.forEach((h, i) => {
    bits[i] = BigInt('0x' + h);
  });
  return new Float64Array(bits.buffer);
}
function hexOfFloats(f64) {
  const bits = new BigUint64Array(f64.buffer, f64.byteOffset, f64.length);
  return Array.from(bits, (b) => b.toString(16).padStart(16, '0'));
}
function hexOf(x) {
  return hexOfFloats(new Float64Array([x]))[0];
}

// ---------------------------------------------------------------------------
// A small model: the example of docs/concepts.md §11 plus one class.

const THIRD = 0.3333333333333333;
const MODEL = {
  schema_version: 1,
  method: 'isotonic',
  strict: false,
  out_of_bounds: 'clip',
  non_finite: 'error',
  epsilon: 0.0,
  global: {
    x: [0.1, 0.2, 0.3, 0.6, 0.7, 0.9],
    y: [0.0, 0.0, THIRD, THIRD, 1.0, 1.0],
    increasing: true,
    n: 8,
    merged_bins: 0,
  },
  classes: {
    web: { x: [0.0, 1.0], y: [0.25, 0.75], increasing: true, n: 1000, merged_bins: 0 },
    news: { x: [0.2, 0.8], y: [0.1, 0.9], increasing: true, n: 1000, merged_bins: 0 },
  },
};
const modelWith = (changes) => Calibrator.fromJSON(JSON.stringify({ ...MODEL, ...changes }));
const model = () => modelWith({});

const CORE_CODES = new Set([
  'empty_input',
  'length_mismatch',
  'non_finite_score',
  'label_out_of_range',
  'invalid_weight',
  'weight_overflow',
  'too_few_samples',
  'unknown_class',
  'bad_model',
  'out_of_bounds',
  'non_finite_input',
  'probability_out_of_range',
  'invalid_parameter',
  'buffer_too_small',
  'unsorted',
]);

// ---------------------------------------------------------------------------
// The API is there.

test(`${IMPL}: exports the API of tests/js/API.md`, () => {
  same(typeof Calibrator, 'function', 'Calibrator');
  same(typeof Calibrator.fromJSON, 'function', 'Calibrator.fromJSON');
  same(typeof Calibrator.fromManifest, 'function', 'Calibrator.fromManifest');
  const fns = ['ece', 'aece', 'mce', 'dece', 'brier', 'logLoss', 'evaluate', 'reliabilityBins', 'tau'];
  for (const f of [...fns, 'fingerprint', 'bucket', 'included']) {
    same(typeof calib[f], 'function', f);
  }
  const m = model();
  for (const f of ['apply', 'applyBatch', 'classes', 'stats', 'resetStats', 'trustState']) {
    same(typeof m[f], 'function', `Calibrator.prototype.${f}`);
  }
});

// ---------------------------------------------------------------------------
// Calibrator

test(`${IMPL}: fromJSON loads a model and lists its classes in sorted order`, () => {
  const m = model();
  same(JSON.stringify(m.classes()), '["news","web"]');
  same(modelWith({ classes: {} }).classes().length, 0);
});

test(`${IMPL}: apply interpolates, hits breakpoints exactly and clips outside the range`, () => {
  const m = model();
  same(m.apply(0.1), 0.0);
  same(m.apply(0.3), THIRD);
  same(m.apply(0.45), THIRD, 'flat segment');
  same(m.apply(0.9), 1.0);
  same(m.apply(0.05), 0.0, 'below the range');
  same(m.apply(2.0), 1.0, 'above the range');
  const mid = m.apply(0.65);
  ok(mid > THIRD && mid < 1.0, `0.65 lies inside (1/3, 1): ${mid}`);
  // The web map is y = 0.25 + 0.5·x on [0, 1]: 0.5 is exactly representable.
  same(m.apply(0.5, 'web'), 0.5);
});

test(`${IMPL}: a missing, null or unknown class uses the global map`, () => {
  const m = model();
  for (const s of [0.05, 0.15, 0.25, 0.65, 0.95]) {
    const g = m.apply(s);
    same(m.apply(s, undefined), g, `undefined class at ${s}`);
    same(m.apply(s, null), g, `null class at ${s}`);
    same(m.apply(s, 'no-such-class'), g, `unknown class at ${s}`);
  }
  // news has a map of its own: y runs from 0.1 to 0.9 where the global map runs from 0 to 1.
  same(m.apply(0.05, 'news'), 0.1);
  same(m.apply(0.95, 'news'), 0.9);
});

test(`${IMPL}: applyBatch equals apply, bit for bit, and returns a new Float64Array`, () => {
  const m = model();
  const scores = new Float64Array([-1, 0, 0.1, 0.15, 0.2, 0.3, 0.31, 0.6, 0.61, 0.7, 0.89, 0.9, 1, 5]);
  for (const cls of [undefined, 'web', 'news', 'other']) {
    const out = m.applyBatch(scores, cls);
    ok(out instanceof Float64Array, 'result is a Float64Array');
    same(out.length, scores.length, 'length');
    ok(out.buffer !== scores.buffer, 'result does not alias the input');
    scores.forEach((s, i) => same(hexOf(out[i]), hexOf(m.apply(s, cls)), `score ${s}, class ${cls}`));
  }
});

test(`${IMPL}: applyBatch takes Float64Array, Float32Array (widened exactly) and number[]`, () => {
  const m = model();
  const f32 = new Float32Array([0.05, 0.15, 0.25, 0.35, 0.65, 0.85, 0.95]);
  const widened = Float64Array.from(f32);
  const want = hexOfFloats(m.applyBatch(widened));
  same(JSON.stringify(hexOfFloats(m.applyBatch(f32))), JSON.stringify(want), 'Float32Array');
  same(JSON.stringify(hexOfFloats(m.applyBatch(Array.from(widened)))), JSON.stringify(want), 'number[]');
  same(m.applyBatch(new Float64Array(0)).length, 0, 'empty batch');
  same(m.applyBatch([]).length, 0, 'empty array');
});

test(`${IMPL}: applyBatch reads a Float64Array view at an offset`, () => {
  const m = model();
  const all = new Float64Array([9, 9, 0.15, 0.65, 0.95, 9]);
  const view = all.subarray(2, 5);
  const out = m.applyBatch(view);
  same(out.length, 3);
  same(hexOf(out[0]), hexOf(m.apply(0.15)));
  same(hexOf(out[1]), hexOf(m.apply(0.65)));
  same(hexOf(out[2]), hexOf(m.apply(0.95)));
  same(all[0], 9, 'input left alone');
});

test(`${IMPL}: the model's policies: non-finite fallback, nan out-of-bounds, epsilon`, () => {
  const fb = modelWith({ non_finite: { fallback: 0.5 } });
  same(fb.apply(NaN), 0.5);
  same(fb.apply(Infinity), 0.5);
  const nan = modelWith({ out_of_bounds: 'nan' });
  ok(Number.isNaN(nan.apply(5)), 'nan policy');
  same(nan.apply(0.3), THIRD);
  const eps = modelWith({ epsilon: 0.01 });
  same(eps.apply(0.0), 0.01, 'floored');
  same(eps.apply(1.0), 0.99, 'capped');
});

test(`${IMPL}: stats count scores, out-of-range and non-finite ones; resetStats clears them`, () => {
  const m = modelWith({ non_finite: { fallback: 0.5 } });
  const z = m.stats();
  same(z.n, 0);
  same(z.clampRate, 0, 'clamp rate of nothing');
  m.applyBatch(new Float64Array([0.05, 0.15, 0.25, 2, NaN]));
  m.apply(0.5);
  m.apply(-Infinity);
  const s = m.stats();
  same(s.n, 7);
  same(s.outOfRange, 2);
  same(s.nonFinite, 2);
  same(s.clampRate, 4 / 7);
  m.resetStats();
  same(m.stats().n, 0);
  const strict = model();
  throwsCode(() => strict.apply(NaN), 'non_finite_input');
  same(strict.stats().n, 1, 'a refused score is counted');
  same(strict.stats().nonFinite, 1);
});

// ---------------------------------------------------------------------------
// Errors

test(`${IMPL}: bad models are refused with bad_model`, () => {
  throwsCode(() => Calibrator.fromJSON('not json'), 'bad_model', 'not JSON');
  throwsCode(() => Calibrator.fromJSON('{}'), 'bad_model', 'no schema_version');
  throwsCode(() => modelWith({ schema_version: 2 }), 'bad_model', 'newer schema');
  throwsCode(() => modelWith({ surprise: true }), 'bad_model', 'unknown field');
  throwsCode(
    () => modelWith({ global: { ...MODEL.global, x: [0.3, 0.2, 0.1, 0.6, 0.7, 0.9] } }),
    'bad_model',
    'unsorted breakpoints',
  );
  throwsCode(() => modelWith({ epsilon: 0.5 }), 'bad_model', 'epsilon 0.5');
  const e = throwsCode(() => modelWith({ schema_version: 2 }), 'bad_model');
  ok(/schema_version 2/.test(e.message), `message names the version: ${e.message}`);
});

test(`${IMPL}: apply errors carry the core's code and name the index`, () => {
  const m = model();
  throwsCode(() => m.apply(NaN), 'non_finite_input');
  const e = throwsCode(() => m.applyBatch(new Float64Array([0.2, 0.3, NaN])), 'non_finite_input');
  ok(/index 2/.test(e.message), `message names index 2: ${e.message}`);
  const oob = modelWith({ out_of_bounds: 'error' });
  throwsCode(() => oob.apply(5), 'out_of_bounds');
  const e2 = throwsCode(() => oob.applyBatch([0.2, 0.3, 0.4, -1]), 'out_of_bounds');
  ok(/index 3/.test(e2.message), `message names index 3: ${e2.message}`);
});

test(`${IMPL}: arguments of the wrong type throw invalid_argument, nothing is coerced`, () => {
  const m = model();
  throwsCode(() => Calibrator.fromJSON(42), 'invalid_argument', 'fromJSON(42)');
  throwsCode(() => m.apply('0.5'), 'invalid_argument', "apply('0.5')");
  throwsCode(() => m.apply(undefined), 'invalid_argument', 'apply(undefined)');
  throwsCode(() => m.apply(0.5, 42), 'invalid_argument', 'apply(0.5, 42)');
  throwsCode(() => m.applyBatch('0.5'), 'invalid_argument', "applyBatch('0.5')");
  throwsCode(() => m.applyBatch([0.1, '0.2']), 'invalid_argument', 'applyBatch with a string element');
  throwsCode(() => m.applyBatch(new Int32Array([1, 2])), 'invalid_argument', 'applyBatch(Int32Array)');
  throwsCode(() => m.applyBatch({ length: 1, 0: 0.5 }), 'invalid_argument', 'applyBatch(array-like)');
  throwsCode(() => m.applyBatch(new Float64Array([0.5]), {}), 'invalid_argument', 'class {}');
  const p = [0.2, 0.8];
  const y = [0, 1];
  throwsCode(() => calib.ece(p, y, 1.5), 'invalid_argument', 'bins 1.5');
  throwsCode(() => calib.ece(p, y, -1), 'invalid_argument', 'bins -1');
  throwsCode(() => calib.ece(p, y, '10'), 'invalid_argument', "bins '10'");
  throwsCode(() => calib.ece(p, 'y'), 'invalid_argument', 'labels string');
  throwsCode(() => calib.brier(p, y, 'w'), 'invalid_argument', 'weights string');
  throwsCode(() => calib.reliabilityBins(p, y, 10, 'quantile'), 'invalid_argument', 'strategy');
  throwsCode(() => calib.tau(0.5, 15, 1), 'invalid_argument', 'tau n 0.5');
  throwsCode(() => calib.tau(100, 15, '1'), 'invalid_argument', 'tau cHat string');
});

// ---------------------------------------------------------------------------
// Metrics

test(`${IMPL}: metrics on a small hand-checked case`, () => {
  // Bin [0, 0.5] holds p = 0.25 (y = 0); bin (0.5, 1] holds p = 0.75 (y = 1).
  const p = new Float64Array([0.25, 0.75]);
  const y = new Float64Array([0, 1]);
  same(calib.ece(p, y, 2), 0.25);
  same(calib.mce(p, y, 2), 0.25);
  same(calib.brier(p, y), 0.0625);
  same(calib.brier(p, y, [1, 3]), 0.0625);
  // An exact edge goes to the lower bin: p = 0.5 with y = 1 sits in [0, 0.5] with p = 0.25.
  same(calib.ece([0.25, 0.5], [0, 1], 2), Math.abs(0.5 - 0.375));
  const ll = calib.logLoss([0.5, 0.5], [0, 1]);
  ok(Math.abs(ll - Math.LN2) < 1e-15, `log-loss of coin flips is ln 2: ${ll}`);
  same(calib.logLoss([0, 1], [0, 1]) < 1e-14, true, 'clipped, finite');
  ok(Number.isFinite(calib.logLoss([1, 0], [0, 1])), 'clipped at 1e-15');
});

test(`${IMPL}: metrics accept Float64Array, Float32Array and number[] alike; weights change them`, () => {
  const p = [0.1, 0.4, 0.35, 0.8, 0.55, 0.9, 0.2, 0.65];
  const y = [0, 0, 1, 1, 0, 1, 0, 1];
  for (const f of ['ece', 'aece', 'mce', 'dece']) {
    const want = calib[f](new Float64Array(p), new Float64Array(y), 4);
    same(calib[f](p, y, 4), want, `${f} number[]`);
    same(calib[f](Float64Array.from(new Float32Array(p)), y, 4), calib[f](new Float32Array(p), y, 4), `${f} f32`);
    same(calib[f](p, y, undefined), calib[f](p, y, 15), `${f} default bins are 15`);
  }
  const w = [1, 2, 1, 2, 1, 2, 1, 2];
  ok(calib.ece(p, y, 4, w) !== calib.ece(p, y, 4), 'weights are used');
  same(calib.ece(p, y, 4, [1, 1, 1, 1, 1, 1, 1, 1]), calib.ece(p, y, 4), 'unit weights change nothing');
});

test(`${IMPL}: evaluate agrees with the single metric functions, bit for bit`, () => {
  const p = [0.1, 0.4, 0.35, 0.8, 0.55, 0.9, 0.2, 0.65, 0.65, 1.0, 0.0];
  const y = [0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0];
  for (const bins of [undefined, 3, 7]) {
    const m = calib.evaluate(p, y, bins);
    same(m.n, p.length, 'n');
    for (const f of ['ece', 'aece', 'mce', 'dece']) same(hexOf(m[f]), hexOf(calib[f](p, y, bins)), f);
    same(hexOf(m.brier), hexOf(calib.brier(p, y)), 'brier');
    same(hexOf(m.logLoss), hexOf(calib.logLoss(p, y)), 'logLoss');
    ok(m.mergedBinPercent >= 0 && m.mergedBinPercent <= 100, 'mergedBinPercent');
  }
});

test(`${IMPL}: reliabilityBins lists the non-empty bins with Wilson intervals`, () => {
  const p = [0.1, 0.15, 0.6, 0.7, 0.95];
  const y = [0, 1, 1, 0, 1];
  const bins = calib.reliabilityBins(p, y, 4);
  same(bins.length, 3, 'three non-empty equal-width bins');
  same(bins[0].lower, 0);
  same(bins[0].upper, 0.25);
  same(bins[0].count, 2);
  same(bins[0].weight, 2);
  same(bins[0].meanP, (0.1 + 0.15) / 2);
  same(bins[0].observed, 0.5);
  for (const b of bins) ok(b.ciLow <= b.observed && b.observed <= b.ciHigh, 'interval holds the rate');
  same(bins.reduce((n, b) => n + b.count, 0), 5, 'every point in a bin');
  const mass = calib.reliabilityBins(p, y, 2, 'equal_mass');
  ok(mass.length >= 1 && mass.length <= 2, 'equal-mass bins');
  same(JSON.stringify(calib.reliabilityBins(p, y, 4, 'equal_width')), JSON.stringify(bins), 'default strategy');
});

test(`${IMPL}: metric errors carry the core's codes`, () => {
  throwsCode(() => calib.ece([0.5, 1.5], [0, 1]), 'probability_out_of_range');
  throwsCode(() => calib.ece([0.5, NaN], [0, 1]), 'probability_out_of_range');
  throwsCode(() => calib.brier([0.5, 0.5], [0, 2]), 'label_out_of_range');
  throwsCode(() => calib.aece([0.5, 0.5, 0.5], [0, 1]), 'length_mismatch');
  throwsCode(() => calib.ece([], []), 'empty_input');
  throwsCode(() => calib.logLoss([0.5], [1], [-1]), 'invalid_weight');
  throwsCode(() => calib.ece([0.5], [1], 0), 'invalid_parameter', 'zero bins');
  const e = throwsCode(() => calib.dece([0.1, 0.2, 7], [0, 1, 1]), 'probability_out_of_range');
  ok(/index 2/.test(e.message) && /7/.test(e.message), `message names index and value: ${e.message}`);
});

test(`${IMPL}: tau is max(0.015, cHat·sqrt(K/N)), Infinity for N = 0`, () => {
  same(calib.tau(0, 15, 1), Infinity);
  same(calib.tau(1e6, 15, 0.5), 0.015, 'floor');
  same(calib.tau(100, 25, 0.5), 0.25);
  same(calib.tau(400, 16, 1), Math.max(0.015, 1 * Math.sqrt(16 / 400)), 'IEEE sqrt is correctly rounded everywhere');
});

// ---------------------------------------------------------------------------
// Nothing a caller passes brings the process down: random and hostile inputs
// either give a result or throw an Error with a known code (a Rust panic
// would abort the whole test process).

test(`${IMPL}: random and hostile inputs give results or coded errors, never a crash`, () => {
  let seed = 0x9e3779b9;
  const rand = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return seed / 2 ** 32;
  };
  const specials = [NaN, Infinity, -Infinity, -0, 0, 5e-324, -5e-324, 1, -1, 1e308, -1e308, 0.5, 2 ** 53];
  const value = () => (rand() < 0.3 ? specials[Math.floor(rand() * specials.length)] : rand() * 3 - 1);
  const floats = (n) => Float64Array.from({ length: n }, value);
  const models = [
    model(),
    modelWith({ out_of_bounds: 'error' }),
    modelWith({ out_of_bounds: 'nan', non_finite: { fallback: 0.25 }, epsilon: 0.001 }),
  ];
  const codes = new Set([...CORE_CODES, 'invalid_argument']);
  let results = 0;
  let errors = 0;
  const attempt = (fn) => {
    try {
      fn();
      results++;
    } catch (e) {
      ok(e instanceof Error && codes.has(e.code), `unexpected throw: ${e && e.code} ${e && e.message}`);
      errors++;
    }
  };
  for (let i = 0; i < 300; i++) {
    const n = Math.floor(rand() * 40);
    const p = floats(n);
    const y = rand() < 0.5 ? floats(n) : Float64Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1));
    const w = rand() < 0.5 ? undefined : floats(n + (rand() < 0.1 ? 1 : 0));
    const bins = Math.floor(rand() * 40);
    const m = models[i % models.length];
    attempt(() => m.applyBatch(p, rand() < 0.5 ? 'web' : undefined));
    attempt(() => m.apply(value(), rand() < 0.5 ? 'news' : 'x'));
    for (const f of ['ece', 'aece', 'mce', 'dece']) attempt(() => calib[f](p, y, bins, w));
    attempt(() => calib.brier(p, y, w));
    attempt(() => calib.logLoss(p, y, w));
    attempt(() => calib.evaluate(p, y, bins, w));
    attempt(() => calib.reliabilityBins(p, y, bins, rand() < 0.5 ? 'equal_mass' : 'equal_width', w));
    attempt(() => calib.tau(Math.floor(rand() * 1e6), bins, value()));
    const json = JSON.stringify({ ...MODEL, global: { ...MODEL.global, x: Array.from(floats(3)), y: Array.from(floats(3)) } });
    attempt(() => Calibrator.fromJSON(json.slice(0, Math.floor(rand() * json.length) + 1)));
    attempt(() => Calibrator.fromJSON(json));
  }
  ok(results > 0 && errors > 0, `both outcomes seen: ${results} results, ${errors} errors`);
});

// ---------------------------------------------------------------------------
// Parity: every case of tests/vectors/parity.json, bit for bit, and this
// runtime's outputs written for the cross-runtime parity report.

test(`${IMPL}: parity vectors, bit for bit; outputs written for the parity report`, async () => {
  const v = await harness.loadVector('parity.json');
  ok(v, 'tests/vectors/parity.json loads');
  const models = {};
  for (const [name, m] of Object.entries(v.models)) models[name] = Calibrator.fromJSON(JSON.stringify(m));
  const runtime = IMPL;
  const outputs = {
    runtime,
    fingerprint: calib.fingerprint(),
    apply: {},
    metrics: {},
  };
  const diffs = [];
  const compare = (name, want, got) => {
    if (got.length !== want.length) diffs.push(`${name}: ${got.length} outputs, want ${want.length}`);
    want.forEach((w, i) => {
      if (got[i] !== w) diffs.push(`${name}[${i}]: got ${got[i]}, want ${w}`);
    });
  };
  let values = 0;
  for (const c of v.apply) {
    const m = models[c.model];
    const scores = floatsFromHex(c.scores);
    const got = hexOfFloats(m.applyBatch(scores, c.class));
    outputs.apply[c.name] = got;
    compare(c.name, c.expected, got);
    // The single-score path must agree with the batch path.
    compare(`${c.name} (apply)`, c.expected, Array.from(scores, (s) => hexOf(m.apply(s, c.class))));
    values += got.length;
  }
  for (const c of v.metrics) {
    const p = floatsFromHex(c.probs);
    const y = floatsFromHex(c.labels);
    const all = calib.evaluate(p, y, c.bins);
    const got = {
      aece: hexOf(all.aece),
      brier: hexOf(all.brier),
      dece: hexOf(all.dece),
      ece: hexOf(all.ece),
      log_loss: hexOf(all.logLoss),
      mce: hexOf(all.mce),
    };
    outputs.metrics[c.name] = got;
    const single = {
      aece: calib.aece(p, y, c.bins),
      brier: calib.brier(p, y),
      dece: calib.dece(p, y, c.bins),
      ece: calib.ece(p, y, c.bins),
      log_loss: calib.logLoss(p, y),
      mce: calib.mce(p, y, c.bins),
    };
    for (const [k, want] of Object.entries(c.expected)) {
      compare(`${c.name}/${k}`, [want], [got[k] ?? 'missing']);
      compare(`${c.name}/${k} (single)`, [want], [hexOf(single[k])]);
      values += 1;
    }
  }
  ok(values > 10000, `the vectors hold many values (${values})`);
  await harness.reportParity(outputs);
  ok(diffs.length === 0, `${diffs.length} bitwise differences from calib-core:\n${diffs.slice(0, 20).join('\n')}`);
});

// ---------------------------------------------------------------------------
// Signed manifests: Calibrator.fromManifest over the fixtures that
// tests/js/make-fixtures.sh makes with the calib CLI.

async function manifestFixtures() {
  const names = ['a/calib.pub', 'b/calib.pub', 'model.json', 'v1.json', 'v2.json', 'v2-b.json'];
  const files = await Promise.all(names.map((n) => harness.loadFixture(n)));
  ok(files.every((f) => typeof f === 'string'), 'manifest fixtures exist: run tests/js/make-fixtures.sh first');
  const [pubA, pubB, modelText, v1, v2, v2b] = files;
  return { pubA, pubB, modelText, v1, v2, v2b };
}

test(`${IMPL}: fromManifest loads a verified model and hands back the advanced trust state`, async () => {
  const fx = await manifestFixtures();
  const trust = { keys: [fx.pubA], requireGateReport: false };
  const m = Calibrator.fromManifest(fx.v2, fx.modelText, trust);
  const plain = Calibrator.fromJSON(fx.modelText);
  same(JSON.stringify(m.classes()), JSON.stringify(plain.classes()));
  const scores = new Float64Array([-1, 0.1, 0.3, 0.5, 0.7, 2, NaN]);
  for (const cls of [undefined, 'web', 'news']) {
    same(JSON.stringify(hexOfFloats(m.applyBatch(scores, cls))), JSON.stringify(hexOfFloats(plain.applyBatch(scores, cls))));
  }
  const state = JSON.parse(m.trustState());
  same(state.version, 2, 'trust state records version 2');
  same(plain.trustState(), null, 'fromJSON has no trust state');
  // Bytes work as well as text (fs.readFileSync gives either).
  const enc = new TextEncoder();
  same(Calibrator.fromManifest(enc.encode(fx.v2), enc.encode(fx.modelText), trust).apply(0.5), m.apply(0.5));
  // Loading again with the state it returned is fine; an older version is a rollback.
  Calibrator.fromManifest(fx.v2, fx.modelText, { ...trust, state: m.trustState() });
  throwsCode(() => Calibrator.fromManifest(fx.v1, fx.modelText, { ...trust, state: m.trustState() }), 'rollback');
  // The same version with other content is a rollback too (TUF mix-and-match).
  const both = { keys: [fx.pubA, fx.pubB], requireGateReport: false, state: m.trustState() };
  throwsCode(() => Calibrator.fromManifest(fx.v2b, fx.modelText, both), 'rollback', 'v2 signed by b');
});

test(`${IMPL}: fromManifest refuses every tampered or untrusted input with its own code`, async () => {
  const fx = await manifestFixtures();
  const trust = { keys: [fx.pubA], requireGateReport: false };
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { keys: [fx.pubB], requireGateReport: false }), 'unknown_key');
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { keys: [fx.pubA] }), 'gates_not_passed', 'gates required by default');
  const env = JSON.parse(fx.v2);
  const flip = (b64, i) => b64.slice(0, i) + (b64[i] === 'A' ? 'B' : 'A') + b64.slice(i + 1);
  const badSig = JSON.stringify({ ...env, signatures: [{ ...env.signatures[0], sig: flip(env.signatures[0].sig, 5) }] });
  throwsCode(() => Calibrator.fromManifest(badSig, fx.modelText, trust), 'bad_signature', 'flipped signature');
  const badPayload = JSON.stringify({ ...env, payload: flip(env.payload, 40) });
  throwsCode(() => Calibrator.fromManifest(badPayload, fx.modelText, trust), 'bad_signature', 'flipped payload');
  const otherModel = JSON.stringify({ ...JSON.parse(fx.modelText), epsilon: 0.002 });
  throwsCode(() => Calibrator.fromManifest(fx.v2, otherModel, trust), 'subject_mismatch', 'swapped model');
  const inAYear = Date.now() + 366 * 24 * 3600 * 1000;
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { ...trust, now: inAYear }), 'expired');
  throwsCode(
    () => Calibrator.fromManifest(fx.v2, fx.modelText, { ...trust, keys: [fx.pubA, fx.pubB], threshold: 2 }),
    'threshold_not_met',
  );
  throwsCode(() => Calibrator.fromManifest('{', fx.modelText, trust), 'malformed');
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { keys: ['not a key'] }), 'bad_key');
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { keys: [] }), 'bad_policy');
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { ...trust, state: '{"v":' }), 'malformed');
  throwsCode(() => Calibrator.fromManifest(42, fx.modelText, trust), 'invalid_argument', 'envelope 42');
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, 'trust'), 'invalid_argument', 'trust string');
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { keys: [1] }), 'invalid_argument', 'keys [1]');
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { ...trust, threshold: 1.5 }), 'invalid_argument');
  throwsCode(() => Calibrator.fromManifest(fx.v2, fx.modelText, { ...trust, now: NaN }), 'invalid_argument');
  // Random damage anywhere in the envelope never loads, and never crashes.
  let seed = 7;
  for (let i = 0; i < 200; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const at = seed % fx.v2.length;
    const damaged = fx.v2.slice(0, at) + String.fromCharCode(33 + (seed % 90)) + fx.v2.slice(at + 1);
    if (damaged === fx.v2) continue;
    let loaded = false;
    try {
      Calibrator.fromManifest(damaged, fx.modelText, trust);
      loaded = true;
    } catch (e) {
      ok(e instanceof Error && typeof e.code === 'string', `coded error: ${e && e.message}`);
    }
    ok(!loaded || /^\s*$/.test(fx.v2[at]), `a damaged envelope loaded (byte ${at})`);
  }
});

// ---------------------------------------------------------------------------
// The core's identity and rollout bucketing (tests/js/API.md).

test(`${IMPL}: fingerprint() is the core's, as pinned in tests/vectors/core_fingerprint.json`, async () => {
  const f = calib.fingerprint();
  ok(/^[0-9a-f]{64}$/.test(f), `64 lowercase hex digits: ${f}`);
  same(calib.fingerprint(), f, 'stable across calls');
  const pinned = await harness.loadVector('core_fingerprint.json');
  ok(pinned, 'tests/vectors/core_fingerprint.json loads');
  same(f, pinned.sha256, 'this build links the core the vectors were made from (the single-core rule)');
});

test(`${IMPL}: bucket and included reproduce tests/vectors/bucket.json`, async () => {
  const v = await harness.loadVector('bucket.json');
  ok(v && v.cases.length > 0, 'tests/vectors/bucket.json loads');
  for (const c of v.cases) {
    const what = `(${JSON.stringify(c.salt)}, ${JSON.stringify(c.key)}): ${c.note}`;
    same(calib.bucket(c.salt, c.key), c.bucket, `bucket${what}`);
    for (const [pct, inc] of Object.entries(c.included)) {
      same(calib.included(c.salt, c.key, Number(pct)), inc, `included at ${pct} % ${what}`);
    }
  }
});

test(`${IMPL}: buckets lie in [0, 10000) and inclusion only grows with the percentage`, () => {
  for (let i = 0; i < 500; i++) {
    const key = `repo:${i}`;
    const b = calib.bucket('calib-js', key);
    ok(Number.isInteger(b) && b >= 0 && b < 10000, `bucket ${b}`);
    let was = false;
    for (const pct of [0, 1, 5, 25, 50, 99, 100, 1000]) {
      const inc = calib.included('calib-js', key, pct);
      same(inc, b < pct * 100, `included(${key}) at ${pct} %`);
      ok(!was || inc, 'monotone');
      was = inc;
    }
  }
  throwsCode(() => calib.bucket('salt', 42), 'invalid_argument', 'numeric key');
  throwsCode(() => calib.included('salt', 'key', 2.5), 'invalid_argument', 'fractional percent');
  throwsCode(() => calib.included('salt', 'key', -5), 'invalid_argument', 'negative percent');
});

// ---------------------------------------------------------------------------
// README: every ```js <package> block runs as written (Node only).

if (harness.readmeSnippets) {
  test(`${IMPL}: README.md snippets for this package run as written`, async () => {
    const snippets = harness.readmeSnippets();
    ok(snippets.length > 0, 'README.md has a snippet for this package');
    for (const s of snippets) {
      try {
        await import(s.url);
      } catch (e) {
        fail(`${s.name} failed: ${e && e.stack}`);
      }
    }
  });
} else {
  test(`${IMPL}: README.md snippets (skipped: Node only)`, () => {});
}
