// The messages between the page (main.ts) and its worker (worker.ts).

/** Page -> worker: calibrate `scores` (transferred) with the model `modelText`. */
export interface BatchRequest {
  modelText: string;
  scores: Float64Array;
  cls: string;
}

/** Worker -> page: the calibrated batch (transferred back), or what went wrong. */
export type BatchReply =
  | { ok: true; out: Float64Array; ms: number }
  | { ok: false; error: string };

/** What the worker's global scope offers it (the DOM lib types it as a Window). */
export interface WorkerScope {
  onmessage: ((e: MessageEvent<BatchRequest>) => void) | null;
  postMessage(message: BatchReply, transfer: Transferable[]): void;
}
