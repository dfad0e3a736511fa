/**
 * `npm run build`: the published package in `build/`.
 *
 *   build/esm/   ES modules + .d.ts + source maps (the `import` condition)
 *   build/cjs/   CommonJS + .d.ts + source maps, with a package.json `{"type":"commonjs"}` (the
 *                `require` condition: ts-node and Jest in the projects `cdk8s init` and
 *                `cdktf init` make load it without require(esm))
 *   build/module-outputs.schema.json   the contract's JSON Schema in standard keywords
 *
 * One type-checked program from the entries (index.ts, tf.ts) emits the ES modules and the
 * declarations; each emitted file is then transpiled alone to CommonJS (the sources are
 * `isolatedModules`, so that is exact) and its declaration copied beside it. The `tn` entry
 * (CDK Terrain) is the `tf` entry with lib/tf copied to lib/tn and its one import of the core
 * library (lib/tf/core.ts) pointed at `cdktn`. Last, API.md is checked against the TSDoc
 * (`npm run docs` rewrites it).
 *
 *   tsx scripts/build.ts [--out <dir>] [--skip-docs-check]
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { MODULE_OUTPUTS_JSON_SCHEMA } from '../lib/contract/json-schema.js';
import { checkApiReference } from './api-reference.js';
import { packageProgram, REPO_ROOT } from './package-program.js';

function failOn(diagnostics: readonly ts.Diagnostic[]): void {
  if (diagnostics.length === 0) return;
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => REPO_ROOT, getNewLine: () => '\n' };
  throw new Error(`build: TypeScript errors\n${ts.formatDiagnosticsWithColorAndContext(diagnostics, host)}`);
}

/** Builds the package into `out` (default `build/`); returns the files written, relative to it. */
export function buildPackage(out = join(REPO_ROOT, 'build'), opts: { docsCheck?: boolean } = {}): string[] {
  rmSync(out, { recursive: true, force: true });
  const esm = join(out, 'esm');
  const cjs = join(out, 'cjs');
  const program = packageProgram(esm);
  failOn(ts.getPreEmitDiagnostics(program));

  const written: string[] = [];
  const emitted = program.emit(undefined, (file, text) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(relative(out, file));
  });
  failOn(emitted.diagnostics);

  for (const source of program.getSourceFiles()) {
    if (source.isDeclarationFile || relative(REPO_ROOT, source.fileName).startsWith('..') || source.fileName.includes('/node_modules/')) continue;
    const rel = relative(REPO_ROOT, source.fileName).replace(/\.ts$/, '');
    const { outputText, sourceMapText } = ts.transpileModule(source.text, {
      fileName: source.fileName,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        sourceMap: true,
        inlineSources: true,
      },
    });
    const js = join(cjs, `${rel}.js`);
    mkdirSync(dirname(js), { recursive: true });
    writeFileSync(js, outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${rel.split('/').pop()}.js.map`));
    writeFileSync(`${js}.map`, fixMapSources(sourceMapText!, js, source.fileName));
    copyFileSync(join(esm, `${rel}.d.ts`), join(cjs, `${rel}.d.ts`));
    written.push(relative(out, js), relative(out, `${js}.map`), relative(out, join(cjs, `${rel}.d.ts`)));
  }
  for (const dir of [esm, cjs]) written.push(...terrainVariant(out, dir));
  writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  writeFileSync(join(out, 'module-outputs.schema.json'), `${JSON.stringify(MODULE_OUTPUTS_JSON_SCHEMA, null, 2)}\n`);
  written.push(relative(out, join(cjs, 'package.json')), 'module-outputs.schema.json');

  if (opts.docsCheck !== false) checkApiReference(program);
  return written.sort();
}

/** Matches an import or require of the cdktf core library in emitted JS or declarations. */
const CDKTF_IMPORT = /(from\s+|require\(|import\()(['"])cdktf\2/g;

/**
 * `<dir>/tn.*` and `<dir>/lib/tn/` from `<dir>/tf.*` and `<dir>/lib/tf/`: the same code on
 * CDK Terrain. Only core.* may name the core library; anything else would escape the rewrite.
 */
function terrainVariant(out: string, dir: string): string[] {
  const from = join(dir, 'lib', 'tf');
  const to = join(dir, 'lib', 'tn');
  const written: string[] = [];
  const write = (file: string, text: string) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(relative(out, file));
  };
  for (const name of readdirSync(from)) {
    const text = readFileSync(join(from, name), 'utf8');
    const isCore = /^core\.(js|d\.ts)$/.test(name);
    if (!isCore && !name.endsWith('.map') && CDKTF_IMPORT.test(text)) {
      throw new Error(`build: ${relative(out, join(from, name))} imports cdktf; only lib/tf/core.ts may (the tn entry rewrites that file alone)`);
    }
    CDKTF_IMPORT.lastIndex = 0;
    write(join(to, name), isCore ? text.replace(CDKTF_IMPORT, (_m, head: string, q: string) => `${head}${q}cdktn${q}`) : text);
  }
  for (const ext of ['js', 'd.ts', 'js.map']) {
    const entry = join(dir, `tf.${ext}`);
    if (!existsSync(entry)) continue;
    write(join(dir, `tn.${ext}`), readFileSync(entry, 'utf8').replace(/\.\/lib\/tf\//g, './lib/tn/').replace(/"tf\.js"/g, '"tn.js"').replace(/tf\.js\.map/g, 'tn.js.map'));
  }
  return written;
}

/** transpileModule names the source by its bare file name; point it at the real path, as tsc does for ESM. */
function fixMapSources(map: string, jsFile: string, sourceFile: string): string {
  const parsed = JSON.parse(map) as { sources: string[] };
  parsed.sources = [relative(dirname(jsFile), sourceFile)];
  return JSON.stringify(parsed);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(REPO_ROOT, 'build');
  const started = Date.now();
  try {
    const files = buildPackage(out, { docsCheck: !args.includes('--skip-docs-check') });
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    process.stderr.write(`build: platform-constructs ${pkg.version}: ${files.length} files in ${relative(process.cwd(), out) || '.'} (${Date.now() - started} ms)\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
