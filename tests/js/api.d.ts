// The one TypeScript interface of calib's JavaScript packages (tests/js/API.md).
// calib-node's generated index.d.ts and calib-wasm's .d.ts (made from it) must both be
// assignable to `CalibModule`; each package's type-check compiles a file that says so.

export type Floats = Float64Array | Float32Array | number[];

export interface ApplyCounts {
  n: number;
  outOfRange: number;
  nonFinite: number;
  clampRate: number;
}

export interface Metrics {
  n: number;
  ece: number;
  aece: number;
  mce: number;
  dece: number;
  brier: number;
  logLoss: number;
  mergedBinPercent: number;
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  weight: number;
  meanP: number;
  observed: number;
  ciLow: number;
  ciHigh: number;
}

export interface TrustOptions {
  keys: string[];
  threshold?: number;
  state?: string | null;
  requireGateReport?: boolean;
  now?: number;
}

export interface Calibrator {
  apply(score: number, cls?: string | null): number;
  applyBatch(scores: Floats, cls?: string | null): Float64Array;
  classes(): string[];
  stats(): ApplyCounts;
  resetStats(): void;
  trustState(): string | null;
}

export interface CalibratorClass {
  fromJSON(text: string): Calibrator;
  fromManifest(envelope: string | Uint8Array, model: string | Uint8Array, trust: TrustOptions): Calibrator;
}

export type BinnedMetric = (probs: Floats, labels: Floats, bins?: number, weights?: Floats) => number;
export type PointMetric = (probs: Floats, labels: Floats, weights?: Floats) => number;

export interface CalibModule {
  Calibrator: CalibratorClass;
  ece: BinnedMetric;
  aece: BinnedMetric;
  mce: BinnedMetric;
  dece: BinnedMetric;
  brier: PointMetric;
  logLoss: PointMetric;
  evaluate(probs: Floats, labels: Floats, bins?: number, weights?: Floats): Metrics;
  reliabilityBins(
    probs: Floats,
    labels: Floats,
    bins?: number,
    strategy?: 'equal_width' | 'equal_mass',
    weights?: Floats,
  ): ReliabilityBin[];
  tau(n: number, k: number, cHat: number): number;
  fingerprint(): string;
  bucket(salt: string, key: string): number;
  included(salt: string, key: string, percent: number): boolean;
}
