// The page's Web Worker: calibrates a transferred batch with calib-wasm and
// transfers the result back. It loads its own instance of the module: a
// worker shares no WebAssembly memory with the page.
import init, { Calibrator } from 'calib-wasm';
import type { BatchReply, BatchRequest, WorkerScope } from './protocol';

const scope = self as unknown as WorkerScope;
let ready: Promise<unknown> | null = null;

scope.onmessage = (e: MessageEvent<BatchRequest>) => {
  ready ??= init();
  ready
    .then(() => {
      const t0 = performance.now();
      const model = Calibrator.fromJSON(e.data.modelText);
      try {
        const out = model.applyBatch(e.data.scores, e.data.cls);
        const reply: BatchReply = { ok: true, out, ms: performance.now() - t0 };
        scope.postMessage(reply, [out.buffer]);
      } finally {
        model.free();
      }
    })
    .catch((err: unknown) => scope.postMessage({ ok: false, error: String(err) }, []));
};
