// Type-checks the .d.ts files of both builds, which dts.mjs makes from
// calib-node/index.d.ts (`tsc -p tsconfig.json`, run by test.sh): both match
// the interface shared with calib-node (tests/js/api.d.ts), typed use of every
// export compiles, and misuse does not (each @ts-expect-error must find an error).
import * as node from './pkg/node/calib_wasm.js';
import * as web from './pkg/web/calib_wasm.js';
import init, { Calibrator, ece, evaluate, reliabilityBins, tau, fingerprint, bucket, included } from './pkg/web/calib_wasm.js';
import type { ApplyCounts, Metrics, ReliabilityBin } from './pkg/web/calib_wasm.js';
import type { CalibModule } from '../tests/js/api';

// calib-wasm implements the API of tests/js/API.md, in Node and on the web.
const apiNode: CalibModule = node;
const apiWeb: CalibModule = web;

// The web build is initialised once before use; the Node build needs no init.
const ready: Promise<unknown> = init();

const model: Calibrator = Calibrator.fromJSON('{"schema_version": 1}');
const p: number = model.apply(0.5);
const q: number = model.apply(0.5, 'web');
const r: number = model.apply(0.5, null);
const batch: Float64Array = model.applyBatch(new Float64Array([0.1, 0.2]));
const batch32: Float64Array = model.applyBatch(new Float32Array([0.1, 0.2]), 'news');
const batchArr: Float64Array = model.applyBatch([0.1, 0.2], undefined);
const names: string[] = model.classes();
const counts: ApplyCounts = model.stats();
const rate: number = counts.clampRate + counts.n + counts.outOfRange + counts.nonFinite;
model.resetStats();

const e: number = ece(batch, [0, 1]) + ece(batch, [0, 1], 10) + ece(batch, [0, 1], 10, [1, 2]);
const m: Metrics = evaluate(batch, new Float64Array([0, 1]), 15);
const l: number = m.logLoss + m.mergedBinPercent + web.brier(batch, [0, 1]) + web.logLoss(batch, [0, 1], [1, 1]);
const bins: ReliabilityBin[] = reliabilityBins(batch, [0, 1], 10, 'equal_mass');
const t: number = tau(10000, 15, 1.2) + web.aece(batch, [0, 1]) + web.mce(batch, [0, 1]) + web.dece(batch, [0, 1]);
const f: string = fingerprint() + node.fingerprint();
const b: number = bucket('salt', 'repo:1') + node.bucket('salt', 'repo:2');
const inc: boolean = included('salt', 'repo:1', 25) && node.included('salt', 'repo:1', 50);

// @ts-expect-error: a score is a number
model.apply('0.5');
// @ts-expect-error: a class is a string
model.apply(0.5, 3);
// @ts-expect-error: batches are float arrays, not strings
model.applyBatch('0.1,0.2');
// @ts-expect-error: applyBatch returns a Float64Array, not number[]
const wrong: number[] = model.applyBatch([0.1]);
// @ts-expect-error: strategies are 'equal_width' or 'equal_mass'
reliabilityBins(batch, [0, 1], 10, 'quantile');
// @ts-expect-error: there is no constructor call without fromJSON's text
Calibrator.fromJSON();
// @ts-expect-error: a percentage is a number
included('salt', 'repo:1', '25');

export { apiNode, apiWeb, ready, p, q, r, batch32, batchArr, names, rate, e, l, bins, t, f, b, inc, wrong };
