// calib-wasm's TypeScript comes from calib-node's: the napi-generated
// calib-node/index.d.ts is the one source of both packages' types
// (docs/design/js-bindings.md). calib-wasm's exports are `skip_typescript`, so
// wasm-bindgen declares only its own loader (`init`, `initSync`, `InitOutput`
// in the web build); this script puts the API in front of that.
//
//   node dts.mjs write pkg/web pkg/node   after wasm-bindgen (calib-wasm/test.sh):
//       keeps wasm-bindgen's declarations as <dir>.bindgen.d.ts and
//       writes <dir>/calib_wasm.d.ts = the API from calib-node/index.d.ts,
//       rewritten for wasm-bindgen's classes, + wasm-bindgen's declarations;
//   node dts.mjs check pkg/web pkg/node   fails when they drift: when a
//       calib_wasm.d.ts is not what `write` makes of the current
//       calib-node/index.d.ts, or when a build exports a function, class or
//       method the .d.ts does not declare (or the reverse), or with another
//       number of parameters; and (Node build) when an object the API
//       returns or reads has other fields than its interface declares.
//
// The serve entry (`pkg/serve-web`, `pkg/serve-node`: calib-wasm built
// without its `full` feature) gets a subset of the same declarations: the
// statements in SERVE, and of the class, the members not in SERVE_DROPS.
//
// The rewrite: napi's `__napiBindingTarget` (which loader flavour napi
// loaded) does not exist in calib-wasm and is dropped; each class gains what
// wasm-bindgen's classes have: a private constructor (instances come from the
// factories), `free()` and `[Symbol.dispose]()`, which release the
// WebAssembly memory a calibrator holds.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ts = require('typescript');

const SOURCE = path.join(here, '..', 'calib-node', 'index.d.ts');
// wasm-bindgen's own declarations of a build, kept beside (not in) the build's
// folder, so that the package does not ship them: pkg/web -> pkg/web.bindgen.d.ts.
const bindgenFile = (dir) => `${path.resolve(dir)}.bindgen.d.ts`;
const OUT = 'calib_wasm.d.ts';
const NAPI_ONLY = new Set(['__napiBindingTarget']);
const CLASS_MEMBERS = [
  '/** Instances come from the static factories. */',
  'private constructor()',
  "/** Releases the instance's WebAssembly memory now, rather than when it is garbage-collected. */",
  'free(): void',
  '/** `free()`, for `using`. */',
  '[Symbol.dispose](): void',
];
// What the serve entry declares, and the class members it does not have.
const SERVE = new Set(['Calibrator', 'ApplyCounts', 'bucket', 'included', 'fingerprint']);
const SERVE_DROPS = new Set(['fromManifest', 'trustState']);
const isServe = (dir) => path.basename(path.resolve(dir)).startsWith('serve-');
// wasm-bindgen's loader of the web build (`export default init`, `initSync`), not the API.
const LOADER = new Set(['default', 'initSync']);

function parse(file, text) {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function declaredName(stmt) {
  if (ts.isVariableStatement(stmt)) return stmt.declarationList.declarations.map((d) => d.name.getText()).join(',');
  return stmt.name ? stmt.name.getText() : undefined;
}

// Where a statement or class member starts: at its doc comment if it has one.
function startOf(node, src) {
  const docs = (ts.getJSDocCommentsAndTags(node) || []).filter(ts.isJSDoc);
  return docs.length ? docs[0].getStart(src) : node.getStart(src);
}

// The API part of calib_wasm.d.ts, from the text of calib-node/index.d.ts
// (for the serve entry when `serve`).
function api(text, serve) {
  const src = parse(SOURCE, text);
  const parts = [];
  for (const stmt of src.statements) {
    if (NAPI_ONLY.has(declaredName(stmt))) continue;
    if (serve && !SERVE.has(declaredName(stmt))) continue;
    // With its doc comment; without the file's leading banner comments.
    const start = startOf(stmt, src);
    let out = text.slice(start, stmt.getEnd());
    if (ts.isClassDeclaration(stmt) && serve) {
      // Cut the members the serve entry lacks, last first so offsets hold.
      const drops = stmt.members.filter((m) => m.name && SERVE_DROPS.has(m.name.getText(src))).reverse();
      for (const m of drops) {
        // From the end of the previous line to the member's end: the member,
        // its doc comment and its indentation go.
        const from = text.lastIndexOf('\n', startOf(m, src)) - start;
        out = out.slice(0, from) + out.slice(m.getEnd() - start);
      }
    }
    if (ts.isClassDeclaration(stmt)) {
      const open = out.indexOf('{', stmt.name.getEnd() - start) + 1;
      out = out.slice(0, open) + CLASS_MEMBERS.map((m) => `\n  ${m}`).join('') + out.slice(open);
    }
    parts.push(out);
  }
  return parts.join('\n\n');
}

// wasm-bindgen's declarations without its lint banners.
function bindgenPart(text) {
  return text.replace(/^(\/\* (tslint|eslint):disable \*\/\s*)+/, '').trim();
}

function expected(dir) {
  const bindgen = bindgenPart(fs.readFileSync(bindgenFile(dir), 'utf8'));
  return [
    '/* Generated by calib-wasm/dts.mjs from calib-node/index.d.ts (napi-rs); do not edit. */',
    '/* eslint-disable */',
    '',
    api(fs.readFileSync(SOURCE, 'utf8'), isServe(dir)),
    ...(bindgen ? ['', bindgen] : []),
    '',
  ].join('\n');
}

function write(dir) {
  const out = path.join(dir, OUT);
  const kept = bindgenFile(dir);
  // A fresh wasm-bindgen run leaves its own calib_wasm.d.ts; keep it aside once.
  const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  if (!current.startsWith('/* Generated by calib-wasm/dts.mjs')) fs.writeFileSync(kept, current);
  fs.writeFileSync(out, expected(dir));
  console.log(`${out}: from calib-node/index.d.ts`);
}

// name -> parameter count, for the functions, classes and class members a .d.ts declares.
function declarations(file) {
  const src = parse(file, fs.readFileSync(file, 'utf8'));
  const fns = new Map();
  const classes = new Map();
  for (const stmt of src.statements) {
    const exported = stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    const isDefault = stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
    if (!exported || isDefault) continue;
    if (ts.isFunctionDeclaration(stmt) && !LOADER.has(stmt.name.text)) fns.set(stmt.name.text, stmt.parameters.length);
    if (ts.isClassDeclaration(stmt)) {
      const members = new Map();
      for (const m of stmt.members) {
        if (!ts.isMethodDeclaration(m)) continue;
        const isStatic = m.modifiers?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
        const name = ts.isComputedPropertyName(m.name) ? `[${m.name.expression.getText(src)}]` : m.name.getText(src);
        members.set(`${isStatic ? 'static ' : ''}${name}`, m.parameters.length);
      }
      classes.set(stmt.name.text, members);
    }
  }
  return { fns, classes, interfaces: interfacesOf(src) };
}

// interface name -> its property names.
function interfacesOf(src) {
  const out = new Map();
  for (const stmt of src.statements) {
    if (ts.isInterfaceDeclaration(stmt)) {
      out.set(stmt.name.text, stmt.members.filter(ts.isPropertySignature).map((m) => m.name.getText(src)));
    }
  }
  return out;
}

// A valid model to call the API with: one of the parity vectors' models.
const PARITY = path.join(here, '..', 'tests', 'vectors', 'parity.json');
const MODEL = () => JSON.stringify(Object.values(JSON.parse(fs.readFileSync(PARITY, 'utf8')).models)[0]);

// The fields of each interface as the build really uses them: the keys of the
// objects it returns, and the properties it reads from a TrustOptions.
function fieldsInUse(mod, serve) {
  if (serve) {
    const calibrator = mod.Calibrator.fromJSON(MODEL());
    calibrator.apply(0.5);
    return new Map([['ApplyCounts', Object.keys(calibrator.stats())]]);
  }
  const read = new Set();
  const trust = new Proxy({ keys: [] }, { get: (t, k) => (typeof k === 'string' && read.add(k), t[k]) });
  try {
    mod.Calibrator.fromManifest('{}', '{}', trust);
  } catch {
    // Refused (it is no manifest); what matters is which fields it read.
  }
  const calibrator = mod.Calibrator.fromJSON(MODEL());
  calibrator.apply(0.5);
  return new Map([
    ['ApplyCounts', Object.keys(calibrator.stats())],
    ['Metrics', Object.keys(mod.evaluate([0.2, 0.8], [0, 1]))],
    ['ReliabilityBin', Object.keys(mod.reliabilityBins([0.2, 0.8], [0, 1])[0])],
    ['TrustOptions', [...read]],
  ]);
}

// The same for what a build's JavaScript exports.
async function exports(dir) {
  const js = path.resolve(dir, 'calib_wasm.js');
  const mod = dir.endsWith('web') ? await import(pathToFileURL(js)) : require(js);
  const fns = new Map();
  const classes = new Map();
  for (const [name, value] of Object.entries(mod)) {
    if (LOADER.has(name) || typeof value !== 'function') continue;
    if (!/^class\b/.test(Function.prototype.toString.call(value))) {
      fns.set(name, value.length);
      continue;
    }
    const members = new Map();
    for (const key of Object.getOwnPropertyNames(value)) {
      // wasm-bindgen's own statics (`__wrap`) are internal, as is `__destroy_into_raw`.
      if (typeof value[key] === 'function' && !key.startsWith('__')) members.set(`static ${key}`, value[key].length);
    }
    const proto = value.prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key !== 'constructor' && !key.startsWith('__') && typeof proto[key] === 'function') {
        members.set(key, proto[key].length);
      }
    }
    if (typeof proto[Symbol.dispose] === 'function') members.set('[Symbol.dispose]', proto[Symbol.dispose].length);
    classes.set(name, members);
  }
  return { mod, fns, classes };
}

function compare(what, declared, actual, problems) {
  for (const [name, n] of declared) {
    if (!actual.has(name)) problems.push(`${what}${name} is declared but not in the build`);
    else if (actual.get(name) !== n) {
      problems.push(`${what}${name} takes ${actual.get(name)} parameters, the .d.ts declares ${n}`);
    }
  }
  for (const name of actual.keys()) {
    if (!declared.has(name)) problems.push(`${what}${name} is in the build but not declared`);
  }
}

async function check(dir) {
  const problems = [];
  const out = path.join(dir, OUT);
  if (fs.readFileSync(out, 'utf8') !== expected(dir)) {
    problems.push(`${out} is not what calib-node/index.d.ts gives: run \`node dts.mjs write ${dir}\``);
  }
  const d = declarations(out);
  const { mod, ...a } = await exports(dir);
  compare('', d.fns, a.fns, problems);
  compare('class ', new Map([...d.classes].map(([k]) => [k, 0])), new Map([...a.classes].map(([k]) => [k, 0])), problems);
  for (const [name, members] of d.classes) {
    if (a.classes.has(name)) compare(`${name}.`, members, a.classes.get(name), problems);
  }
  if (!dir.endsWith('web')) {
    // The web build is the same module behind another loader; calling it needs init().
    const fields = (list) => new Map(list.map((f) => [f, 0]));
    const used = fieldsInUse(mod, isServe(dir));
    for (const name of d.interfaces.keys()) {
      if (!used.has(name)) problems.push(`interface ${name} is declared, and dts.mjs does not check its fields`);
    }
    for (const [name, list] of used) {
      compare(`${name}.`, fields(d.interfaces.get(name) || []), fields(list), problems);
    }
  }
  if (problems.length) {
    throw new Error(`${dir}: the .d.ts and the build have drifted:\n  ${problems.join('\n  ')}`);
  }
  const methods = [...d.classes.values()].reduce((n, m) => n + m.size, 0);
  const checked = dir.endsWith('web') ? '' : `, ${d.interfaces.size} interfaces`;
  console.log(`${out}: ${d.fns.size} functions, ${d.classes.size} class(es) with ${methods} members${checked}, as built`);
}

const [command, ...dirs] = process.argv.slice(2);
if (!['write', 'check'].includes(command) || dirs.length === 0) {
  console.error('usage: node dts.mjs write|check <pkg dir>...');
  process.exit(2);
}
try {
  for (const dir of dirs) {
    if (command === 'write') write(dir);
    else await check(dir);
  }
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
