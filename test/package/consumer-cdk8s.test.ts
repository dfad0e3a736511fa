/**
 * (a) The packed package in a project exactly as `cdk8s init typescript-app` lays it out:
 * CommonJS, ts-node, `lib: es2016`, no `skipLibCheck`, the template's tsconfig.json unchanged.
 * The project's stack is the repository's example (examples/cdk8s/app.ts: modules, ArmoniK,
 * config aggregator) with its imports of the package entry turned into `platform-constructs`.
 * It type-checks with tsc, `cdk8s synth` writes what the repository's example gives for the same
 * input, README's install example runs as written, and the template's Jest (ts-jest, CommonJS)
 * loads the package too.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildExampleApp } from '../../examples/cdk8s/app.js';
import {
  asConsumerFile, copyExampleInputs, installedVersion, npmInstall, packedPackage, quietEnv, readJson, readmeExample, REPO, run, scaffold,
  tempProject, writeJson,
} from './support.js';
import { unresolvedInObjects } from '../fixtures/references.js';

const TEMPLATE = join(REPO, 'node_modules', 'cdk8s-cli', 'templates', 'typescript-app');

let dir: string;

beforeAll(async () => {
  const pkg = await packedPackage();
  dir = tempProject('cdk8s');
  // The variables `cdk8s init` computes (cdk8s-cli lib/cli/cmds/init.js, determineDeps).
  await scaffold(TEMPLATE, dir, {
    cdk8s_core_version: installedVersion('cdk8s'),
    cdk8s_plus_version: (await run('npm', ['view', 'cdk8s-plus-33', 'version'], { cwd: dir })).trim(),
    constructs_version: readJson(join(REPO, 'node_modules', 'cdk8s-cli', 'package.json')).dependencies.constructs.replace('^', ''),
    cdk8s_cli_spec: `^${installedVersion('cdk8s-cli')}`,
  });
  // The template's own post hook: `npm install` (then `cdk8s import`, which needs GitHub: this
  // stack uses no imported types), then what README tells a user to add.
  await npmInstall(dir);
  await npmInstall(dir, [pkg.file, 'cdk8s-plus-28']);

  writeFileSync(join(dir, 'example.ts'), asConsumerFile('examples/cdk8s/app.ts'));
  copyExampleInputs(dir);
  writeFileSync(join(dir, 'main.ts'), "import { buildExampleApp } from './example';\n\nbuildExampleApp().synth();\n");
  writeFileSync(join(dir, 'readme.ts'), readmeExample('cdk8s'));
  // The template's Jest test, made to check the package from Jest's CommonJS runtime.
  rmSync(join(dir, '__snapshots__'), { recursive: true, force: true });
  writeJson(join(dir, 'expected.json'), buildExampleApp().charts.map((c) => c.toJson()));
  writeFileSync(
    join(dir, 'main.test.ts'),
    `import { Chart, Testing } from 'cdk8s';
import { MANAGER_FLAGS, ModuleOutputs, ModuleOutputsError, PlatformController, ValidationError } from 'platform-constructs';
import { buildExampleApp } from './example';

const expected: unknown[][] = require('./expected.json');

describe('platform-constructs under Jest', () => {
  test('the example stack synthesizes as in the repository', () => {
    expect(buildExampleApp().charts.map((c) => Testing.synth(c))).toEqual(expected);
  });
  test('a bad module output is a ModuleOutputsError naming module and field', () => {
    const bad = () => ModuleOutputs.of('s3', { env: { 'not a name': 'x' } });
    expect(bad).toThrow(ModuleOutputsError);
    expect(bad).toThrow('module "s3": /env/not a name');
  });
  test('a controller of your own on PlatformController, args typed from its flag spec', () => {
    const flags = [{ name: 'target', type: 'string', required: true, description: 'What to watch.' }, ...MANAGER_FLAGS] as const;
    const chart = new Chart(Testing.app(), 'ops', { namespace: 'ops' });
    const mine = new PlatformController(chart, 'mine', { controller: 'mine', flags, args: { target: 'nodes' }, rules: [] });
    expect(mine.args).toContain('--target=nodes');
    expect(() => new PlatformController(chart, 'bad', { controller: 'mine', flags, args: {}, rules: [] })).toThrow(ValidationError);
  });
});
`,
  );
}, 1_200_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a cdk8s init typescript-app project', () => {
  it('keeps the template: CommonJS, ts-node, lib es2016, no skipLibCheck', () => {
    const tsconfig = readJson(join(dir, 'tsconfig.json'));
    expect(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).toBe(readFileSync(join(TEMPLATE, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions).toMatchObject({ module: 'CommonJS', lib: ['es2016'] });
    expect(tsconfig.compilerOptions.skipLibCheck).toBeUndefined();
    expect(readFileSync(join(dir, 'cdk8s.yaml'), 'utf8')).toContain('app: npx ts-node main.ts');
    // The package brings no controller runtime and no cdktf.
    for (const absent of ['cdktf', '@cdktf/provider-kubernetes', '@kubernetes/client-node', 'pino', 'prom-client']) {
      expect(existsSync(join(dir, 'node_modules', absent))).toBe(false);
    }
  });

  it('type-checks with the template compile script (tsc --build)', async () => {
    await run('npm', ['run', 'compile'], { cwd: dir });
  }, 300_000);

  it('synthesizes with cdk8s synth exactly what the repository example gives', async () => {
    await run('npx', ['cdk8s', 'synth'], { cwd: dir, timeoutMs: 300_000 });
    const files = readdirSync(join(dir, 'dist')).sort();
    const charts = buildExampleApp().charts;
    expect(files).toEqual(charts.map((c, i) => `${String(i).padStart(4, '0')}-${c.node.id}.k8s.yaml`));
    files.forEach((file, i) => {
      const objects = parseAllDocuments(readFileSync(join(dir, 'dist', file), 'utf8')).map((d) => d.toJSON());
      expect(objects).toEqual(charts[i].toJson());
    });
  }, 300_000);

  it("runs README's install example as written", async () => {
    const outdir = join(dir, 'readme.out');
    await run('npx', ['ts-node', 'readme.ts'], { cwd: dir, env: quietEnv({ CDK8S_OUTDIR: outdir }), timeoutMs: 300_000 });
    const objects = parseAllDocuments(readFileSync(join(outdir, 'armonik.k8s.yaml'), 'utf8')).map((d) => d.toJSON());
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining([
      'StatefulSet/activemq', 'StatefulSet/minio', 'PerconaServerMongoDB/mongodb-db-ps', 'Deployment/control-plane', 'Deployment/compute-plane-default', 'Deployment/secret-generator',
    ]));
    const agent = objects.find((o) => o.metadata.name === 'compute-plane-default').spec.template.spec.containers[0];
    expect(agent.env).toContainEqual({ name: 'Amqp__Host', value: 'activemq.armonik.svc.cluster.local' });
    // Self-contained as written: every Secret and ConfigMap a pod reads is in the output.
    expect(unresolvedInObjects(objects)).toEqual([]);
  }, 300_000);

  it("runs the template's Jest (ts-jest, CommonJS) against the package", async () => {
    const out = await run('npx', ['jest', '--ci', '--json'], { cwd: dir, env: quietEnv({ CI: 'true' }), timeoutMs: 300_000 });
    const result = JSON.parse(out) as { numPassedTests: number; numTotalTests: number };
    expect(result).toMatchObject({ numPassedTests: 3, numTotalTests: 3 });
  }, 300_000);
});
