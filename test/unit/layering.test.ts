/**
 * The layering of the source tree (DESIGN.md, "A folder is a room"), checked on every import of
 * every .ts file under lib/, constructs/, runtime/, examples/ and the two entry points:
 *
 * - lib/ imports nothing from constructs/, runtime/, examples/ or the entry points;
 * - lib/api/ (shared by constructs and the runtime) reaches no cdk8s, cdk8s-plus-*, cdktf,
 *   @cdktf/*, constructs or @kubernetes/client-node, directly or through other files;
 * - runtime/ imports no cdk8s, cdk8s-plus-*, cdktf, @cdktf/* or constructs, nothing from
 *   constructs/ or examples/, and from lib/ only files that reach none of those packages;
 * - runtime/<a>/ imports nothing from runtime/<b>/ except runtime/kit/;
 * - constructs/<a>/ imports nothing from constructs/<b>/ except constructs/controller/ (and
 *   the known exceptions listed below, each with its reason);
 * - no import cycles (type-only imports, which vanish at run time, do not count).
 *
 * Imports are read with the TypeScript parser (static imports, re-exports, `import x = require()`,
 * dynamic `import()` with a literal), so a violation names the importing file and the import.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');
const SOURCE_DIRS = ['lib', 'constructs', 'runtime', 'examples'];
const ENTRY_FILES = ['index.ts', 'tf.ts'];

/** Packages that pull in cdk8s, cdktf or the constructs tree. */
const CDK_PACKAGE = /^(cdk8s|cdk8s-plus-\d+|cdktf|@cdktf\/.+|constructs)$/;
const CLIENT_PACKAGE = /^@kubernetes\/client-node$/;

/**
 * Imports across constructs/ folders that exist on purpose, until the lead moves them: the
 * in-cluster modules declare their credentials as GeneratedSecrets of the secret generator.
 * Each entry is `importing folder -> imported folder`; an entry nobody uses any more fails too.
 */
export const KNOWN_CONSTRUCTS_EXCEPTIONS: Readonly<Record<string, string>> = {
  'constructs/modules -> constructs/secret-generator': 'modules declare their passwords and certificates as GeneratedSecrets',
  'constructs/armonik -> constructs/secret-generator': 'the ArmoniK ingress declares its CAs and certificates as GeneratedSecrets',
};

export interface Import {
  /** The importing file, relative to the repository (`lib/k8s/index.ts`). */
  readonly from: string;
  /** The specifier as written (`../k8s/names.js`, `cdk8s`). */
  readonly specifier: string;
  /** The file it resolves to (relative), or undefined for a package. */
  readonly file?: string;
  /** The package name (`cdk8s`, `@cdktf/provider-kubernetes`), or undefined for a file. */
  readonly pkg?: string;
  /** `import type` / `export type`: gone at run time. */
  readonly typeOnly: boolean;
}

function listSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const rel = `${dir}/${name}`;
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const st = statSync(join(ROOT, rel));
      if (st.isDirectory()) walk(rel);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(ROOT, d))) walk(d);
  for (const f of ENTRY_FILES) if (existsSync(join(ROOT, f))) out.push(f);
  return out;
}

/** Entries the build makes from another (scripts/build.ts: `tn` is `tf` on CDK Terrain). */
const BUILT_ENTRIES: Readonly<Record<string, string>> = { 'tn.js': 'tf.ts' };

function resolveFile(from: string, specifier: string): string | undefined {
  const base = resolve(ROOT, dirname(from), specifier);
  const built = BUILT_ENTRIES[relative(ROOT, base).split(sep).join('/')];
  if (built) return built;
  const candidates = [base.replace(/\.(m|c)?js$/, '.$1ts'), base, `${base}.ts`, join(base, 'index.ts')];
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return relative(ROOT, c).split(sep).join('/');
  return undefined;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every import of one file. */
export function importsOf(file: string, text = readFileSync(join(ROOT, file), 'utf8')): Import[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (specifier.startsWith('.')) {
      out.push({ from: file, specifier, file: resolveFile(file, specifier) ?? `<unresolved ${specifier}>`, typeOnly });
    } else {
      out.push({ from: file, specifier, pkg: specifier.startsWith('node:') ? specifier : packageName(specifier), typeOnly });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (!!node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      add(node.moduleReference.expression.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0])) {
      add(node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

export type Graph = ReadonlyMap<string, readonly Import[]>;

export function buildGraph(files: readonly string[] = listSources(), read?: (file: string) => string): Graph {
  return new Map(files.map((f) => [f, importsOf(f, read ? read(f) : undefined)]));
}

const top = (file: string) => file.split('/')[0];
/** `constructs/armonik` for `constructs/armonik/workload.ts`; the folder itself for a file at its root. */
const room = (file: string) => {
  const parts = file.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : parts[0];
};
const show = (i: Import) => `${i.from} imports '${i.specifier}'${i.file && i.file !== i.specifier ? ` (${i.file})` : ''}`;

/**
 * The first path from `file` to a forbidden package, following every import (type-only too: a
 * shared file must not even name those types), or undefined.
 */
function pathToPackage(graph: Graph, file: string, forbidden: RegExp): string[] | undefined {
  const seen = new Set<string>([file]);
  const queue: string[][] = [[file]];
  while (queue.length) {
    const path = queue.shift()!;
    for (const i of graph.get(path[path.length - 1]) ?? []) {
      if (i.pkg && forbidden.test(i.pkg)) return [...path, i.pkg];
      if (i.file && graph.has(i.file) && !seen.has(i.file)) {
        seen.add(i.file);
        queue.push([...path, i.file]);
      }
    }
  }
  return undefined;
}

/** Every break of the layering rules, as one line each naming the importing file and the import. */
export function layeringViolations(graph: Graph, exceptions: Readonly<Record<string, string>> = KNOWN_CONSTRUCTS_EXCEPTIONS): string[] {
  const out: string[] = [];
  const usedExceptions = new Set<string>();
  for (const [file, imports] of graph) {
    for (const i of imports) {
      const target = i.file;
      if (target?.startsWith('<unresolved')) {
        out.push(`${show(i)}: the file does not exist`);
        continue;
      }
      if (top(file) === 'lib') {
        if (target && !target.startsWith('lib/')) out.push(`${show(i)}: lib/ must not import ${top(target)}${target.includes('/') ? '/' : ''} (the arrows point constructs -> lib, runtime -> lib)`);
        if (file.startsWith('lib/api/')) {
          const forbidden = new RegExp(`${CDK_PACKAGE.source}|${CLIENT_PACKAGE.source}`);
          if (i.pkg && forbidden.test(i.pkg)) out.push(`${show(i)}: lib/api/ is pure TypeScript, shared with the runtime (no cdk8s, cdktf, constructs or client-node)`);
          else if (target) {
            const path = pathToPackage(graph, target, forbidden);
            if (path) out.push(`${show(i)}, which reaches ${path[path.length - 1]} (${path.join(' -> ')}): lib/api/ must stay free of cdk8s, cdktf, constructs and client-node`);
          }
        }
      }
      if (top(file) === 'runtime') {
        if (i.pkg && CDK_PACKAGE.test(i.pkg)) out.push(`${show(i)}: runtime/ must not import cdk8s, cdktf or constructs`);
        if (target && (top(target) === 'constructs' || top(target) === 'examples' || !target.includes('/'))) {
          out.push(`${show(i)}: runtime/ must not import ${target.includes('/') ? `${top(target)}/` : 'the package entry'}`);
        }
        if (target?.startsWith('lib/')) {
          const path = pathToPackage(graph, target, CDK_PACKAGE);
          if (path) out.push(`${show(i)}, which reaches ${path[path.length - 1]} (${path.join(' -> ')}): runtime/ may import only lib/ files free of cdk8s, cdktf and constructs (import the specific file, not a barrel)`);
        }
        if (target?.startsWith('runtime/') && room(file) !== room(target) && room(target) !== 'runtime/kit' && room(file).includes('/') && room(target).includes('/')) {
          out.push(`${show(i)}: ${room(file)}/ must not import ${room(target)}/ (shared code goes to runtime/kit/ or lib/api/)`);
        }
      }
      if (top(file) === 'constructs' && target?.startsWith('constructs/') && room(file) !== room(target) && room(target) !== 'constructs/controller') {
        const key = `${room(file)} -> ${room(target)}`;
        if (key in exceptions) usedExceptions.add(key);
        else out.push(`${show(i)}: ${room(file)}/ must not import ${room(target)}/ (shared code goes to lib/ or constructs/controller/)`);
      }
    }
  }
  for (const key of Object.keys(exceptions)) {
    if (!usedExceptions.has(key)) out.push(`known exception "${key}" is no longer used: remove it from KNOWN_CONSTRUCTS_EXCEPTIONS`);
  }
  return out;
}

/** Every import cycle among the files (type-only imports left out), as `a -> b -> a`; each cycle once. */
export function importCycles(graph: Graph): string[] {
  // Tarjan's strongly connected components, then one shortest cycle per component.
  const edges = new Map<string, string[]>();
  for (const [file, imports] of graph) {
    edges.set(file, [...new Set(imports.filter((i) => !i.typeOnly && i.file && graph.has(i.file)).map((i) => i.file!))].sort());
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || edges.get(v)!.includes(v)) components.push(comp.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) strong(v);
  return components.map((comp) => {
    const inComp = new Set(comp);
    const start = comp[0];
    // Shortest path back to start, within the component.
    const prev = new Map<string, string>();
    const queue = [start];
    const seen = new Set<string>();
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of edges.get(v)!) {
        if (!inComp.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let x: string | undefined = v; x !== undefined && x !== start; x = prev.get(x)) path.splice(1, 0, x);
          return [...path, start].join(' -> ');
        }
        if (!seen.has(w)) {
          seen.add(w);
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return comp.join(' <-> ');
  });
}

function fail(title: string, lines: readonly string[]): void {
  if (lines.length) throw new Error(`${title}:\n  ${lines.join('\n  ')}`);
}

describe('layering', () => {
  const graph = buildGraph();

  it('reads the whole tree', () => {
    expect(graph.size).toBeGreaterThan(100);
    for (const dir of ['lib/contract', 'lib/api', 'constructs/armonik', 'runtime/kit', 'examples/cdk8s']) {
      expect([...graph.keys()].some((f) => f.startsWith(`${dir}/`))).toBe(true);
    }
  });

  it('keeps the arrows one way (lib <- constructs, lib/api <- runtime)', () => {
    fail('layering violations', layeringViolations(graph));
  });

  it('has no import cycles', () => {
    fail('import cycles', importCycles(graph));
  });

  describe('the check itself', () => {
    const files: Record<string, string> = {
      'lib/k8s/pure.ts': "export const x = 1;\n",
      'lib/k8s/cdk.ts': "import { Chart } from 'cdk8s';\nexport const c = Chart;\n",
      'lib/k8s/barrel.ts': "export * from './pure.js';\nexport * from './cdk.js';\n",
      'lib/api/a/spec.ts': "import { x } from '../../k8s/barrel.js';\nexport const y = x;\n",
      'lib/contract/bad.ts': "import { A } from '../../constructs/armonik/a.js';\nexport const b = A;\n",
      'constructs/armonik/a.ts': "import { M } from '../modules/m.js';\nimport { P } from '../controller/p.js';\nexport const A = M + P;\n",
      'constructs/modules/m.ts': "import { S } from '../secret-generator/s.js';\nexport const M = S;\n",
      'constructs/secret-generator/s.ts': "export const S = 1;\n",
      'constructs/controller/p.ts': "export const P = 1;\n",
      'runtime/kit/k.ts': "import type { Construct } from 'constructs';\nexport type K = Construct;\n",
      'runtime/wao/r.ts': "import { x } from '../../lib/k8s/pure.js';\nimport { c } from '../../lib/k8s/barrel.js';\nimport { z } from '../other/z.js';\nexport const r = x + z + String(c);\n",
      'runtime/other/z.ts': "import { r } from '../wao/r.js';\nexport const z = 1 + Number(r);\n",
    };
    // A fake tree: the files above, resolved against each other.
    const fake = new Map([...Object.keys(files)].map((f) => [f, importsOf(f, files[f]).map((i) => (i.specifier.startsWith('.') ? { ...i, file: join(dirname(f), i.specifier).replace(/\.js$/, '.ts') } : i))]));

    it('names the file and the import of each violation', () => {
      const v = layeringViolations(fake, {});
      expect(v).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^lib\/contract\/bad\.ts imports '\.\.\/\.\.\/constructs\/armonik\/a\.js' .*lib\/ must not import constructs\//),
          expect.stringMatching(/^lib\/api\/a\/spec\.ts imports '\.\.\/\.\.\/k8s\/barrel\.js' .*reaches cdk8s \(lib\/k8s\/barrel\.ts -> lib\/k8s\/cdk\.ts -> cdk8s\)/),
          expect.stringMatching(/^constructs\/armonik\/a\.ts imports '\.\.\/modules\/m\.js' .*constructs\/armonik\/ must not import constructs\/modules\//),
          expect.stringMatching(/^constructs\/modules\/m\.ts imports '\.\.\/secret-generator\/s\.js'/),
          expect.stringMatching(/^runtime\/kit\/k\.ts imports 'constructs': runtime\/ must not import cdk8s/),
          expect.stringMatching(/^runtime\/wao\/r\.ts imports '\.\.\/\.\.\/lib\/k8s\/barrel\.js' .*reaches cdk8s/),
          expect.stringMatching(/^runtime\/wao\/r\.ts imports '\.\.\/other\/z\.js' .*runtime\/wao\/ must not import runtime\/other\//),
        ]),
      );
      expect(v.join('\n')).not.toMatch(/controller\/p|lib\/k8s\/pure\.js/);
      expect(v).toHaveLength(8); // the seven above and runtime/other -> runtime/wao
    });

    it('accepts a listed exception, and fails on a stale one', () => {
      expect(layeringViolations(fake, { 'constructs/modules -> constructs/secret-generator': 'test' }).join('\n')).not.toMatch(/secret-generator\/s\.js/);
      expect(layeringViolations(fake, { 'constructs/a -> constructs/b': 'test' }).join('\n')).toMatch(/known exception "constructs\/a -> constructs\/b" is no longer used/);
    });

    it('reports a cycle with its path, and not a type-only one', () => {
      expect(importCycles(fake)).toEqual(['runtime/other/z.ts -> runtime/wao/r.ts -> runtime/other/z.ts']);
      const typeOnly = new Map([
        ['a.ts', importsOf('a.ts', "import type { B } from './b.js';\nexport type A = B;\n").map((i) => ({ ...i, file: 'b.ts' }))],
        ['b.ts', importsOf('b.ts', "import { a } from './a.js';\nexport type B = 1;\nexport const b = a;\n").map((i) => ({ ...i, file: 'a.ts' }))],
      ]);
      expect(importCycles(typeOnly)).toEqual([]);
    });
  });
});
