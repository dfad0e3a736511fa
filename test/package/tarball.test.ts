/**
 * What `npm pack` / `npm publish` ship: compiled code, types, source maps, the contract's JSON
 * Schema, README, API reference, changelog and license; nothing of the tests, fixtures,
 * examples, runtime or caches. The type resolution of every entry is checked in every module
 * resolution mode TypeScript has (arethetypeswrong).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packedPackage, readJson, REPO, run, type PackedPackage } from './support.js';

/**
 * Budget of the packed tarball; today about 775 kB (ES modules and CommonJS, with source maps
 * holding the sources: half of it), up from 340 kB with the controller platform (PlatformController,
 * lib/api with the CRD builder, the shared validators), from 485 kB with the synth-time checks of
 * every construct prop and module output, from 587 kB with the WAO API (its declarations kept
 * small by typing the exported tuple by name and keeping the schema nodes private), and from
 * 716 kB with the WAO and Konsumerator constructs and the Konsumerator API (about 59 kB), and
 * from 820 kB with the servo (its API, the JobMeasurement construct, generated webhook
 * certificates: 863 kB measured), and from 900 kB with the ArmoniK pod settings and the
 * pod-deletion-cost updater (899 kB measured), and from 960 kB with ArmoniK in production
 * (the ingress and its nginx configuration, authentication, the GUI, the monitors, the log
 * settings, the compute plane's pod settings: 1,005 kB measured), and from 1,060 kB with the
 * network policies derived from the wiring (lib/network, module endpoints, every construct's
 * policy; 1,090 kB measured).
 */
const MAX_TARBALL_BYTES = 1_120_000;

let pkg: PackedPackage;
let unpacked: string;
let manifest: Record<string, any>;

beforeAll(async () => {
  pkg = await packedPackage();
  unpacked = mkdtempSync(join(tmpdir(), 'pc-tarball-'));
  execFileSync('tar', ['-xzf', pkg.file, '-C', unpacked]);
  manifest = readJson(join(unpacked, 'package', 'package.json'));
  process.stdout.write(`tarball: ${pkg.files.length} files, ${pkg.size} bytes packed, ${pkg.unpackedSize} bytes unpacked\n`);
}, 300_000);

afterAll(() => {
  if (unpacked) rmSync(unpacked, { recursive: true, force: true });
});

describe('the published package', () => {
  it('ships only the compiled package and its documents, and stays small', () => {
    const outside = pkg.files.filter((f) => !f.startsWith('build/'));
    expect(outside).toEqual(['API.md', 'CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
    const built = pkg.files.filter((f) => f.startsWith('build/'));
    for (const f of built) expect(f).toMatch(/^build\/((esm|cjs)\/.*\.(js|js\.map|d\.ts)|cjs\/package\.json|module-outputs\.schema\.json)$/);
    expect(built.filter((f) => /(^|\/)(test|fixtures|examples|runtime|scripts|node_modules)\//.test(f.slice('build/esm/'.length)))).toEqual([]);
    // Every module in both formats, each with its declaration and source map.
    const esm = built.filter((f) => f.startsWith('build/esm/') && f.endsWith('.js')).map((f) => f.slice('build/esm/'.length));
    const cjs = built.filter((f) => f.startsWith('build/cjs/') && f.endsWith('.js')).map((f) => f.slice('build/cjs/'.length));
    expect(cjs).toEqual(esm);
    for (const m of esm) {
      for (const f of [`build/esm/${m}.map`, `build/cjs/${m}.map`, `build/esm/${m.replace(/\.js$/, '.d.ts')}`, `build/cjs/${m.replace(/\.js$/, '.d.ts')}`]) {
        expect(pkg.files).toContain(f);
      }
    }
    expect(esm).toEqual(expect.arrayContaining(['index.js', 'tf.js', 'tn.js', 'lib/tn/core.js', 'lib/contract/index.js', 'constructs/armonik/index.js']));
    expect(pkg.size).toBeLessThan(MAX_TARBALL_BYTES);
  });

  it('has an exports map with types, import and require conditions, and peers instead of bundled frameworks', () => {
    expect(manifest.exports['.']).toEqual({
      import: { types: './build/esm/index.d.ts', default: './build/esm/index.js' },
      require: { types: './build/cjs/index.d.ts', default: './build/cjs/index.js' },
    });
    expect(manifest.exports['./tf']).toEqual({
      import: { types: './build/esm/tf.d.ts', default: './build/esm/tf.js' },
      require: { types: './build/cjs/tf.d.ts', default: './build/cjs/tf.js' },
    });
    expect(manifest.exports['./tn']).toEqual({
      import: { types: './build/esm/tn.d.ts', default: './build/esm/tn.js' },
      require: { types: './build/cjs/tn.d.ts', default: './build/cjs/tn.js' },
    });
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['ajv', 'yaml']);
    // No provider package: lib/tf writes its resources through the core library.
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['cdk8s', 'cdk8s-plus-28', 'cdktf', 'cdktn', 'constructs']);
    expect(manifest.peerDependenciesMeta).toEqual({ cdktf: { optional: true }, cdktn: { optional: true } });
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.keywords).toEqual(expect.arrayContaining(['cdk8s', 'cdktf', 'cdktn', 'kubernetes', 'armonik']));
    expect(manifest.repository).toBeDefined();
    expect(readJson(join(unpacked, 'package', 'build', 'cjs', 'package.json'))).toEqual({ type: 'commonjs' });
  });

  it('runs nothing at load that a CommonJS consumer cannot: no import.meta, no top-level await', () => {
    const cjsDir = join(unpacked, 'package', 'build', 'cjs');
    const files = readdirSync(cjsDir, { recursive: true }).map(String).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(30);
    for (const f of files) {
      const code = readFileSync(join(cjsDir, f), 'utf8');
      expect([f, /import\.meta|^\s*await\s/m.test(code)]).toEqual([f, false]);
      expect([f, /^(import|export)\s/m.test(code)]).toEqual([f, false]);
    }
  });

  it('lists the same files in npm publish --dry-run', async () => {
    const out = await run('npm', ['publish', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO });
    const report = JSON.parse(out.slice(out.indexOf('{')));
    const info = report['platform-constructs'] ?? report;
    expect((info.files as { path: string }[]).map((f) => f.path).sort()).toEqual(pkg.files);
    expect(info.version).toBe(readJson(join(REPO, 'package.json')).version);
  }, 120_000);

  it('resolves the types of every entry in node10, node16 (CommonJS and ESM) and bundler resolution', async () => {
    const out = await run(join(REPO, 'node_modules', '.bin', 'attw'), [pkg.file, '--format', 'json'], { cwd: REPO }).catch((e: Error) => e.message);
    const result = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1));
    expect(result.analysis.problems ?? []).toEqual([]);
    expect(Object.keys(result.analysis.entrypoints).sort()).toEqual(['.', './module-outputs.schema.json', './package.json', './tf', './tn']);
  }, 120_000);
});
