/** The batch the page calibrates: 10^6 scores. */
export const BATCH_SIZE = 1_000_000;

/**
 * The batch's scores: score i is `((i · 7919) mod 1000003) / 1000003`, a
 * permutation of evenly spaced values in [0, 1). Integer arithmetic below
 * 2^53 and one correctly rounded division, so any JavaScript engine (and the
 * Node test that computes the native core's answer) makes the same bits.
 */
export function batchScores(n: number = BATCH_SIZE): Float64Array {
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = ((i * 7919) % 1000003) / 1000003;
  return scores;
}

/** The query class the batch is calibrated for. */
export const BATCH_CLASS = 'news';
