// Type-checks the generated index.d.ts (`tsc --noEmit --strict -p tsconfig.json`, run by test.sh):
// typed use of every export compiles, misuse does not (each @ts-expect-error must
// find an error), and the package matches the interface shared with calib-wasm.
import * as calib from './index.js';
import { Calibrator, ece, evaluate, reliabilityBins, tau } from './index.js';
import type { ApplyCounts, Metrics, ReliabilityBin, TrustOptions } from './index.js';
import type { CalibModule } from '../tests/js/api';

// calib-node implements the API of tests/js/API.md.
const api: CalibModule = calib;

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
const l: number = m.logLoss + m.mergedBinPercent + calib.brier(batch, [0, 1]) + calib.logLoss(batch, [0, 1], [1, 1]);
const bins: ReliabilityBin[] = reliabilityBins(batch, [0, 1], 10, 'equal_mass');
const t: number = tau(10000, 15, 1.2) + calib.aece(batch, [0, 1]) + calib.mce(batch, [0, 1]) + calib.dece(batch, [0, 1]);

const trust: TrustOptions = { keys: ['{"type": …}'], state: model.trustState(), requireGateReport: false };
const signed: Calibrator = Calibrator.fromManifest('{}', new Uint8Array([123, 125]), trust);
const state: string | null = signed.trustState();
const f: string = calib.fingerprint();
const b: number = calib.bucket('calib-2026', 'repo:1');
const inc: boolean = calib.included('calib-2026', 'repo:1', 25);

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
// @ts-expect-error: a trust policy needs its keys
Calibrator.fromManifest('{}', '{}', { threshold: 1 });
// @ts-expect-error: there is no constructor call without fromJSON's text
Calibrator.fromJSON();

export { api, state, f, b, inc, p, q, r, batch32, batchArr, names, rate, e, l, bins, t, wrong };
