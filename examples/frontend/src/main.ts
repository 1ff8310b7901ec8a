// A page on calib-wasm, as a frontend team would write it: load the module
// and a model, calibrate the scores a user types, draw the reliability
// diagram of a bundled sample, and calibrate 10^6 scores in a Web Worker.
//
// It builds unchanged with esbuild (build-esbuild.mjs) and with Vite
// (vite.config.mjs); test.mjs drives both builds in Chromium. What the page
// shows is also left on `globalThis.__calibPage` (with each number's IEEE-754
// bits), where the test reads it.
import init, { Calibrator, evaluate, fingerprint, reliabilityBins } from 'calib-wasm';
import type { Metrics, ReliabilityBin } from 'calib-wasm';
import sample from './sample.json';
import { BATCH_CLASS, batchScores } from './scores';
import type { BatchReply, BatchRequest } from './protocol';

/** One batch run, as the page reports it. */
interface BatchRun {
  where: 'worker' | 'main';
  n: number;
  /** SHA-256 of the scores' and of the result's bytes (little-endian doubles). */
  scoresSha256: string;
  outSha256: string;
  /** The scores' buffer was handed to the worker (detached here), not copied. */
  transferred: boolean;
  /** Wall time on this page from sending the batch until the result was back. */
  totalMs: number;
  /** Time applyBatch itself took (in the worker, or here). */
  applyMs: number;
  /** This page's heartbeat (a setTimeout(0) chain) while the batch ran. */
  beats: number;
  maxGapMs: number;
}

/** Timings of applyBatch over the 10^6 scores on this page's thread. */
interface BenchRun {
  n: number;
  /** ns per score of each timed run, after two untimed warm-up runs. */
  nsPerScore: number[];
  median: number;
}

interface PageState {
  ready: boolean;
  error: string | null;
  fingerprint: string;
  calibrated: { score: string; p: string }[];
  metrics: Metrics | null;
  bins: ReliabilityBin[];
  batch: BatchRun | null;
  bench: BenchRun | null;
}

const state: PageState = {
  ready: false,
  error: null,
  fingerprint: '',
  calibrated: [],
  metrics: null,
  bins: [],
  batch: null,
  bench: null,
};
(globalThis as { __calibPage?: PageState }).__calibPage = state;

const el = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the page`);
  return e as T;
};

/** The 16 hex digits of a double's IEEE-754 bits. */
function bits(x: number): string {
  return new BigUint64Array(new Float64Array([x]).buffer)[0].toString(16).padStart(16, '0');
}

/** `String(x)`, except that −0 keeps its sign. */
function show(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

async function sha256(data: Float64Array): Promise<string> {
  // Never a SharedArrayBuffer here: both arrays are plain Float64Arrays.
  const view = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', view);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Parses the typed scores; every token must be a JavaScript number literal. */
function parseScores(text: string): number[] {
  const tokens = text.split(/[\s,]+/).filter((t) => t !== '');
  return tokens.map((t) => {
    const x = Number(t);
    if (Number.isNaN(x) && t !== 'NaN') throw new Error(`"${t}" is not a number`);
    return x;
  });
}

function calibrateTyped(model: Calibrator): void {
  const error = el('calibrate-error');
  const list = el('calibrated');
  error.textContent = '';
  list.replaceChildren();
  state.calibrated = [];
  try {
    const scores = parseScores(el<HTMLTextAreaElement>('scores').value);
    const cls = el<HTMLSelectElement>('class').value || null;
    const probs = model.applyBatch(new Float64Array(scores), cls);
    probs.forEach((p, i) => {
      const li = document.createElement('li');
      li.textContent = `${show(scores[i])} → ${show(p)}`;
      li.dataset.score = bits(scores[i]);
      li.dataset.p = bits(p);
      list.append(li);
      state.calibrated.push({ score: bits(scores[i]), p: bits(p) });
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    error.textContent = code ? `${code}: ${(e as Error).message}` : String(e);
  }
}

/** Draws the reliability diagram: one bar per non-empty bin, the diagonal, the Wilson intervals. */
function drawDiagram(bins: ReliabilityBin[]): void {
  const svg = el('diagram');
  const NS = 'http://www.w3.org/2000/svg';
  const size = 360;
  const pad = 30;
  const scale = (v: number) => pad + v * (size - 2 * pad);
  const flip = (v: number) => size - scale(v);
  const add = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  svg.replaceChildren();
  add('rect', { x: scale(0), y: flip(1), width: scale(1) - scale(0), height: flip(0) - flip(1), fill: 'none', stroke: '#999' });
  add('line', { x1: scale(0), y1: flip(0), x2: scale(1), y2: flip(1), stroke: '#bbb', 'stroke-dasharray': '4 3' });
  for (const b of bins) {
    add('rect', {
      class: 'bin',
      x: scale(b.lower),
      y: flip(b.observed),
      width: Math.max(1, scale(b.upper) - scale(b.lower) - 1),
      height: flip(0) - flip(b.observed),
      fill: '#4c78a8',
      'fill-opacity': 0.75,
    });
    const mid = (scale(b.lower) + scale(b.upper)) / 2;
    add('line', { x1: mid, y1: flip(b.ciLow), x2: mid, y2: flip(b.ciHigh), stroke: '#222' });
    add('circle', { cx: scale(b.meanP), cy: flip(b.observed), r: 2.5, fill: '#e45756' });
  }
  add('text', { x: size / 2, y: size - 6, 'text-anchor': 'middle', 'font-size': 12 }, 'mean probability');
  add('text', { x: 12, y: size / 2, 'font-size': 12, transform: `rotate(-90 12 ${size / 2})`, 'text-anchor': 'middle' }, 'observed rate');
}

/** A setTimeout(0) chain on this thread: it records when this thread was free to run a task. */
function heartbeat(): () => number[] {
  const beats: number[] = [];
  let running = true;
  const beat = () => {
    beats.push(performance.now());
    if (running) setTimeout(beat, 0);
  };
  beat();
  return () => {
    running = false;
    beats.push(performance.now());
    return beats;
  };
}

function maxGap(beats: number[]): number {
  let gap = 0;
  for (let i = 1; i < beats.length; i++) gap = Math.max(gap, beats[i] - beats[i - 1]);
  return gap;
}

let worker: Worker | null = null;

function inWorker(request: BatchRequest): Promise<{ out: Float64Array; ms: number }> {
  // Vite bundles the worker from this exact expression; build-esbuild.mjs
  // builds worker.ts as an entry of its own and points this URL at it.
  worker ??= new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const w = worker;
  return new Promise((resolve, reject) => {
    w.onmessage = (e: MessageEvent<BatchReply>) => (e.data.ok ? resolve(e.data) : reject(new Error(e.data.error)));
    w.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    w.postMessage(request, [request.scores.buffer]);
  });
}

async function runBatch(where: 'worker' | 'main', modelText: string, model: Calibrator): Promise<void> {
  const report = el('batch');
  report.textContent = `calibrating 10^6 scores (${where === 'worker' ? 'in a worker' : 'on the main thread'})…`;
  state.batch = null;
  const scores = batchScores();
  const n = scores.length;
  const scoresSha256 = await sha256(scores);
  const stop = heartbeat();
  // Let the heartbeat run once before the batch starts.
  await new Promise((r) => setTimeout(r, 0));
  const t0 = performance.now();
  let out: Float64Array;
  let applyMs: number;
  if (where === 'worker') {
    ({ out, ms: applyMs } = await inWorker({ modelText, scores, cls: BATCH_CLASS }));
  } else {
    out = model.applyBatch(scores, BATCH_CLASS);
    applyMs = performance.now() - t0;
  }
  const totalMs = performance.now() - t0;
  // One more beat after the batch, so that a blocked thread shows as a gap.
  await new Promise((r) => setTimeout(r, 0));
  const beats = stop().filter((t) => t >= t0);
  const run: BatchRun = {
    where,
    n,
    scoresSha256,
    outSha256: await sha256(out),
    transferred: scores.byteLength === 0,
    totalMs,
    applyMs,
    beats: beats.length,
    maxGapMs: maxGap([t0, ...beats]),
  };
  state.batch = run;
  report.textContent =
    `${n} scores calibrated ${where === 'worker' ? 'in a worker' : 'on the main thread'}: applyBatch ${applyMs.toFixed(1)} ms, ` +
    `${totalMs.toFixed(1)} ms in all; meanwhile this page ran ${run.beats} heartbeat tasks, the longest wait ` +
    `${run.maxGapMs.toFixed(1)} ms. p[0] = ${show(out[0])}, SHA-256 ${run.outSha256.slice(0, 16)}…`;
}

const BENCH_RUNS = 15;

/** Times applyBatch over the 10^6 scores, BENCH_RUNS times; reports the median ns per score. */
function bench(model: Calibrator): void {
  const scores = batchScores();
  for (let i = 0; i < 2; i++) model.applyBatch(scores, BATCH_CLASS);
  const nsPerScore: number[] = [];
  for (let i = 0; i < BENCH_RUNS; i++) {
    const t0 = performance.now();
    model.applyBatch(scores, BATCH_CLASS);
    nsPerScore.push(((performance.now() - t0) * 1e6) / scores.length);
  }
  const sorted = [...nsPerScore].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  state.bench = { n: scores.length, nsPerScore, median };
  el('bench').textContent =
    `applyBatch over ${scores.length} scores, ${BENCH_RUNS} runs: median ${median.toFixed(2)} ns per score ` +
    `(fastest ${sorted[0].toFixed(2)}, slowest ${sorted[sorted.length - 1].toFixed(2)})`;
}

async function main(): Promise<void> {
  await init();
  state.fingerprint = fingerprint();
  const response = await fetch(new URL('model.json', document.baseURI));
  if (!response.ok) throw new Error(`GET model.json: HTTP ${response.status}`);
  const modelText = await response.text();
  const model = Calibrator.fromJSON(modelText);

  const select = el<HTMLSelectElement>('class');
  for (const cls of model.classes()) select.append(new Option(cls, cls));
  el('calibrate').addEventListener('submit', (e) => {
    e.preventDefault();
    calibrateTyped(model);
  });
  calibrateTyped(model);

  state.metrics = evaluate(sample.probs, sample.labels, sample.bins);
  state.bins = reliabilityBins(sample.probs, sample.labels, sample.bins);
  drawDiagram(state.bins);
  const m = state.metrics;
  el('metrics').textContent =
    `${m.n} points, ${sample.bins} bins: ECE ${m.ece.toFixed(4)}, adaptive ECE ${m.aece.toFixed(4)}, ` +
    `MCE ${m.mce.toFixed(4)}, Brier ${m.brier.toFixed(4)}, log-loss ${m.logLoss.toFixed(4)}`;

  for (const where of ['worker', 'main'] as const) {
    el<HTMLButtonElement>(`batch-${where}`).addEventListener('click', () => {
      runBatch(where, modelText, model).catch((e) => {
        state.error = String(e);
        el('batch').textContent = String(e);
      });
    });
  }
  el('bench-run').addEventListener('click', () => {
    el('bench').textContent = 'timing…';
    // After the text is painted.
    setTimeout(() => bench(model), 0);
  });
  el('status').textContent = `calib-wasm ready; core fingerprint ${state.fingerprint.slice(0, 16)}…`;
  state.ready = true;
}

main().catch((e) => {
  state.error = String((e as Error).stack || e);
  el('status').textContent = `failed: ${e}`;
});
