/**
 * (b) The compiled entries with no TypeScript tooling: a plain `require()` and a plain
 * `import()` in a project that installed only the package and its cdk8s peers; and an ES module
 * project (`"type": "module"`, tsx, type-checked with `module: nodenext`) that writes the
 * example's GitOps layout, byte for byte what the repository writes.
 */
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildExampleApp } from '../../examples/cdk8s/app.js';
import { GitOpsLayout, ModuleOutputs } from '../../index.js';
import { asConsumerFile, copyExampleInputs, installedVersion, npmInstall, packedPackage, readJson, run, tempProject, writeJson } from './support.js';

let plain: string;
let esm: string;

/** Every file under `dir`, relative, with its text. */
function tree(dir: string, base = dir): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) for (const [k, v] of tree(path, base)) out.set(k, v);
    else out.set(relative(base, path), readFileSync(path, 'utf8'));
  }
  return out;
}

/** What a script prints (its last line, as JSON). */
async function evaluate(args: string[], cwd: string): Promise<any> {
  const out = await run(process.execPath, args, { cwd });
  return JSON.parse(out.trim().split('\n').pop()!);
}

// Loads an entry and reports what a user sees of it: its exports and a small contract result.
const PROBE = `
const nfs = JSON.parse(require('node:fs').readFileSync('nfs.json', 'utf8'));
const report = (p, schema, pkg) => JSON.stringify({
  exports: Object.keys(p).sort(),
  parts: p.ModuleOutputs.fromTerraformOutput('nfs', nfs).toPodSpecParts(),
  error: (() => { try { p.ModuleOutputs.of('s3', { env: { 'bad name': 'x' } }); } catch (e) { return [e instanceof p.ModuleOutputsError, e.message]; } })(),
  schemaKeys: Object.keys(schema.properties).sort(),
  version: pkg.version,
  imageDefault: p.controllerImage(),
});`;

beforeAll(async () => {
  const pkg = await packedPackage();
  plain = tempProject('plain');
  writeJson(join(plain, 'package.json'), { name: 'plain-consumer', version: '1.0.0', private: true });
  await npmInstall(plain, [pkg.file, `cdk8s@^${installedVersion('cdk8s')}`, 'cdk8s-plus-28', 'constructs@10']);
  writeFileSync(join(plain, 'nfs.json'), readFileSync(join(process.cwd(), 'examples', 'modules', 'nfs.tf-output.json')));
  writeFileSync(
    join(plain, 'probe.cjs'),
    `${PROBE}\nconsole.log(report(require('platform-constructs'), require('platform-constructs/module-outputs.schema.json'), require('platform-constructs/package.json')));\n`,
  );
  writeFileSync(
    join(plain, 'probe.mjs'),
    `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${PROBE}\n` +
      `const p = await import('platform-constructs');\n` +
      `const schema = (await import('platform-constructs/module-outputs.schema.json', { with: { type: 'json' } })).default;\n` +
      `const pkg = (await import('platform-constructs/package.json', { with: { type: 'json' } })).default;\n` +
      `console.log(report(p, schema, pkg));\n`,
  );

  esm = tempProject('esm');
  writeJson(join(esm, 'package.json'), { name: 'esm-consumer', version: '1.0.0', private: true, type: 'module' });
  await npmInstall(esm, [pkg.file, `cdk8s@^${installedVersion('cdk8s')}`, 'cdk8s-plus-28', 'constructs@10']);
  await npmInstall(esm, ['tsx@4', 'typescript@5.9', '@types/node@20'], { dev: true });
  writeJson(join(esm, 'tsconfig.json'), {
    compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: ['node'] },
    include: ['*.ts'],
  });
  writeFileSync(join(esm, 'app.ts'), asConsumerFile('examples/cdk8s/app.ts'));
  writeFileSync(join(esm, 'main.ts'), asConsumerFile('examples/cdk8s/main.ts', { './app.js': './app.js' }));
  copyExampleInputs(esm);
}, 1_200_000);

afterAll(() => {
  for (const d of [plain, esm]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('plain Node.js, no TypeScript tooling', () => {
  it('require() and import() give the same API and the same results', async () => {
    const cjs = await evaluate(['probe.cjs'], plain);
    const mjs = await evaluate(['probe.mjs'], plain);
    expect(cjs).toEqual(mjs);
    expect(cjs.exports).toEqual(expect.arrayContaining(['ModuleOutputs', 'ModuleOutputsError', 'ActiveMq', 'ControlPlane', 'ConfigAggregator', 'GitOpsLayout']));
    expect(cjs.exports).not.toContain('KubernetesManifests'); // the cdktf bridge is platform-constructs/tf
    expect(cjs.error).toEqual([true, expect.stringContaining('module "s3": /env/bad name')]);
    expect(cjs.version).toBe(readJson(join(process.cwd(), 'package.json')).version);
    expect(cjs.imageDefault).toBe(`platform-controllers:${cjs.version}`);
    expect(cjs.schemaKeys).toEqual(['env', 'env_configmap', 'env_from_configmap', 'env_from_secret', 'env_secret', 'mount_configmap', 'mount_secret', 'mount_volume', 'mount_volume_claim']);
    const nfs = readFileSync(join(plain, 'nfs.json'), 'utf8');
    expect(cjs.parts).toEqual(JSON.parse(JSON.stringify(ModuleOutputs.fromTerraformOutput('nfs', nfs).toPodSpecParts())));
  }, 120_000);

  it('loads the root entry without cdktf; the tf entry names the missing optional peer', async () => {
    await expect(run(process.execPath, ['-e', "require('platform-constructs/tf')"], { cwd: plain })).rejects.toThrow(/Cannot find module '(cdktf|@cdktf\/provider-kubernetes)/);
    await expect(run(process.execPath, ['--input-type=module', '-e', "await import('platform-constructs/tf')"], { cwd: plain })).rejects.toThrow(/Cannot find (module|package) '(cdktf|@cdktf\/provider-kubernetes)/);
  }, 120_000);
});

describe('an ES module project (type: module, tsx)', () => {
  it('type-checks with module nodenext', async () => {
    await run(join(esm, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: esm });
  }, 300_000);

  it('writes the GitOps layout of the example byte for byte as the repository does', async () => {
    await run(join(esm, 'node_modules', '.bin', 'tsx'), ['main.ts'], { cwd: esm, timeoutMs: 300_000 });
    const expected = [...GitOpsLayout.fromApp(buildExampleApp()).files];
    const written = tree(join(esm, 'dist'));
    expect([...written.keys()].sort()).toEqual(expected.map(([path]) => path).sort());
    for (const [path, text] of expected) expect(written.get(path)).toBe(text);
  }, 300_000);
});
