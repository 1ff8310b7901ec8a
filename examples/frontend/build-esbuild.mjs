// Builds the page with esbuild into dist-esbuild/: main.ts and worker.ts as
// two ES-module entry points (minified), index.html pointed at main.js, the
// model, and calib-wasm's module.
//
// Two things esbuild does not do by itself, done here:
//   - calib-wasm's web glue finds its module as
//     `new URL('calib_wasm_bg.wasm', import.meta.url)`; esbuild leaves that
//     expression as it is, so the .wasm file is copied next to the bundles
//     (both bundles sit in one folder, so it serves the page and the worker);
//   - `new Worker(new URL('./worker.ts', import.meta.url))` is Vite's worker
//     pattern; here worker.ts is an entry point of its own, and the URL in
//     main.ts is rewritten to the bundle's name, worker.js.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'dist-esbuild');
const WORKER_URL = "new URL('./worker.ts', import.meta.url)";

const workerUrl = {
  name: 'worker-url',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]main\.ts$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      if (!source.includes(WORKER_URL)) throw new Error(`main.ts no longer contains ${WORKER_URL}`);
      return { contents: source.replace(WORKER_URL, "new URL('./worker.js', import.meta.url)"), loader: 'ts' };
    });
  },
};

fs.rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: HERE,
  entryPoints: ['src/main.ts', 'src/worker.ts'],
  outdir: OUT,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [workerUrl],
});

const html = fs.readFileSync(path.join(HERE, 'index.html'), 'utf8');
const script = '<script type="module" src="/src/main.ts"></script>';
if (!html.includes(script)) throw new Error(`index.html no longer contains ${script}`);
fs.writeFileSync(path.join(OUT, 'index.html'), html.replace(script, '<script type="module" src="./main.js"></script>'));
fs.copyFileSync(path.join(HERE, 'public', 'model.json'), path.join(OUT, 'model.json'));
const wasm = fileURLToPath(import.meta.resolve('calib-wasm/calib_wasm_bg.wasm'));
fs.copyFileSync(wasm, path.join(OUT, 'calib_wasm_bg.wasm'));
console.log(`esbuild ${esbuild.version}: ${path.relative(HERE, OUT)}/ written`);
