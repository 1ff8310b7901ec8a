// Builds the page with Vite into dist-vite/ (`vite build`). Vite bundles
// calib-wasm's web glue, emits calib_wasm_bg.wasm as an asset (it follows the
// glue's `new URL('calib_wasm_bg.wasm', import.meta.url)`), bundles the
// worker from `new Worker(new URL('./worker.ts', import.meta.url))`, and
// copies public/model.json.
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the build is served from any folder.
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist-vite',
    emptyOutDir: true,
    target: 'es2022',
    // The .wasm stays a file of its own, never inlined as base64.
    assetsInlineLimit: 0,
  },
  worker: { format: 'es' },
});
