// What the packed-install test (tests/js/packed-install.sh) runs inside a
// fresh consumer project, once from ESM (check.mjs) and once from CommonJS
// (check.cjs), against the package installed from its `npm pack` tarball:
// the parity vectors' models calibrate every apply case of
// tests/vectors/parity.json bit for bit, through applyBatch and apply, and
// fingerprint() is the pinned core fingerprint.
//
// Environment: CALIB_VECTORS, the repository's tests/vectors folder.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function hexOfFloats(f64) {
  const bits = new BigUint64Array(f64.buffer, f64.byteOffset, f64.length);
  return Array.from(bits, (b) => b.toString(16).padStart(16, '0'));
}

function floatsFromHex(hexes) {
  return new Float64Array(BigUint64Array.from(hexes, (h) => BigInt('0x' + h)).buffer);
}

/** Checks `calib` (the imported package) and returns a one-line summary; throws on any difference. */
module.exports = function verify(calib, how) {
  const dir = process.env.CALIB_VECTORS;
  if (!dir) throw new Error('CALIB_VECTORS (tests/vectors) is not set');
  const vectors = JSON.parse(fs.readFileSync(path.join(dir, 'parity.json'), 'utf8'));
  const pinned = JSON.parse(fs.readFileSync(path.join(dir, 'core_fingerprint.json'), 'utf8')).sha256;
  if (typeof calib.Calibrator !== 'function') throw new Error(`${how}: no Calibrator export`);
  const fp = calib.fingerprint();
  if (fp !== pinned) throw new Error(`${how}: fingerprint ${fp}, the pinned core's is ${pinned}`);
  const models = {};
  for (const [name, m] of Object.entries(vectors.models)) models[name] = calib.Calibrator.fromJSON(JSON.stringify(m));
  let values = 0;
  for (const c of vectors.apply) {
    const scores = floatsFromHex(c.scores);
    const batch = hexOfFloats(c.class === null ? models[c.model].applyBatch(scores) : models[c.model].applyBatch(scores, c.class));
    const single = Array.from(scores, (s) => hexOfFloats(new Float64Array([models[c.model].apply(s, c.class)]))[0]);
    for (const [what, got] of [['applyBatch', batch], ['apply', single]]) {
      if (got.length !== c.expected.length) throw new Error(`${how}: ${c.name} ${what}: ${got.length} outputs, want ${c.expected.length}`);
      got.forEach((g, i) => {
        if (g !== c.expected[i]) throw new Error(`${how}: ${c.name} ${what}[${i}]: got ${g}, want ${c.expected[i]}`);
      });
    }
    values += batch.length;
  }
  return `${how}: ${vectors.apply.length} apply cases, ${values} values bit for bit; fingerprint ${fp.slice(0, 12)}…`;
};
