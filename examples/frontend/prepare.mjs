// Writes the example's two data files from calib's parity vectors
// (tests/vectors/parity.json, made by the native core):
//   public/model.json  the model the page loads (the vectors' isotonic_fallback
//                      model: three classes and a global map, NaN -> 0.5);
//   src/sample.json    the sample whose reliability diagram the page draws,
//                      bundled into the page: the first 1000 points of the
//                      vectors' ranker-15 metrics case.
// Both are generated (and git-ignored), so the example never holds a stale copy.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(fs.readFileSync(path.join(HERE, '..', '..', 'tests', 'vectors', 'parity.json'), 'utf8'));
const fromHex = (hexes) => Array.from(new Float64Array(BigUint64Array.from(hexes, (h) => BigInt('0x' + h)).buffer));

const write = (rel, value) => {
  const file = path.join(HERE, rel);
  const text = JSON.stringify(value) + '\n';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text);
};

write('public/model.json', vectors.models.isotonic_fallback);
const ranker = vectors.metrics.find((c) => c.name === 'ranker-15');
const N = 1000;
// JSON numbers round-trip: JSON.stringify writes the shortest decimal that parses to the same double.
write('src/sample.json', {
  source: 'tests/vectors/parity.json, metrics case ranker-15, first 1000 points',
  bins: ranker.bins,
  probs: fromHex(ranker.probs.slice(0, N)),
  labels: fromHex(ranker.labels.slice(0, N)),
});
