/**
 * (c) The packed package in a project as `cdktf init --template=typescript` lays it out
 * (CommonJS, ts-node), with the example's two stacks (examples/cdktf/stack.ts and main.ts, the
 * cdk8s app they deploy) imported from `platform-constructs` and `platform-constructs/tf`.
 * `cdktf synth` writes the same Terraform JSON as the repository's example for the same input,
 * and README's cdktf example runs as written.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App as TfApp } from 'cdktf';
import { FUTURE_FLAGS } from 'cdktf/lib/features.js';
import { ExampleStacks } from '../../examples/cdktf/stack.js';
import { StateBackend } from '../../tf.js';
import {
  asConsumerFile, copyExampleInputs, installedVersion, npmInstall, packedPackage, quietEnv, readJson, readmeExample, REPO, run, scaffold,
  tempProject,
} from './support.js';

const TEMPLATE = join(REPO, 'node_modules', 'cdktf-cli', 'bundle', 'templates', 'typescript');
const KUBECONFIG = '/etc/platform-constructs/kubeconfig';

let dir: string;
let stateDir: string;

/** The Terraform JSON of each stack in a cdktf output folder. */
function stacksOf(outdir: string): Record<string, unknown> {
  const stacks = join(outdir, 'stacks');
  return Object.fromEntries(readdirSync(stacks).sort().map((s) => [s, readJson(join(stacks, s, 'cdk.tf.json'))]));
}

beforeAll(async () => {
  const pkg = await packedPackage();
  dir = tempProject('cdktf');
  stateDir = join(dir, 'state');
  // The variables `cdktf init` passes to the template (@cdktf/cli-core src/lib/init.js).
  await scaffold(TEMPLATE, dir, {
    futureFlags: Object.entries(FUTURE_FLAGS).map(([k, v]) => `    "${k}": "${v}"`).join(',\n'),
    projectId: '6f0e6f5c-6a5b-4d4e-9f3a-000000000000',
    sendCrashReports: 'false',
  });
  // The template's post hook installs cdktf and constructs, then the newest TypeScript, ts-node
  // and Jest; pinned here (ts-node needs TypeScript's JavaScript API, which TypeScript 7 lacks).
  const cdktfVersion = installedVersion('cdktf');
  await npmInstall(dir, [`cdktf@^${cdktfVersion}`, 'constructs@10']);
  await npmInstall(dir, ['@types/node@20', 'typescript@5.9', 'jest@29', '@types/jest@29', 'ts-jest@29', 'ts-node@10'], { dev: true });
  // What README tells a cdktf user to add.
  await npmInstall(dir, [pkg.file, 'cdk8s', 'cdk8s-plus-28']);

  rmSync(join(dir, '__tests__'), { recursive: true, force: true });
  writeFileSync(join(dir, 'example.ts'), asConsumerFile('examples/cdk8s/app.ts'));
  writeFileSync(join(dir, 'stack.ts'), asConsumerFile('examples/cdktf/stack.ts', { '../cdk8s/app.js': './example' }));
  writeFileSync(join(dir, 'main.ts'), asConsumerFile('examples/cdktf/main.ts', { './stack.js': './stack' }));
  copyExampleInputs(dir);
  writeFileSync(join(dir, 'readme.ts'), readmeExample('cdktf'));
}, 1_200_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a cdktf init --template=typescript project', () => {
  it('keeps the template: CommonJS run by ts-node', () => {
    expect(readJson(join(dir, 'tsconfig.json')).compilerOptions.module).toBe('CommonJS');
    expect(readJson(join(dir, 'cdktf.json')).app).toBe('npx ts-node main.ts');
  });

  it('type-checks with the template compile script', async () => {
    await run('npm', ['run', 'compile'], { cwd: dir });
  }, 300_000);

  it('synthesizes through platform-constructs/tf exactly what the repository example gives', async () => {
    const env = quietEnv({ KUBECONFIG, PLATFORM_CONSTRUCTS_TF_STATE_DIR: stateDir });
    await run(process.execPath, [join(REPO, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf'), 'synth'], { cwd: dir, env, timeoutMs: 300_000 });

    const outdir = join(dir, 'repo.out');
    const app = new TfApp({ outdir });
    new ExampleStacks(app, 'example', { kubeconfig: KUBECONFIG, backend: StateBackend.local(stateDir) });
    app.synth();

    const consumer = stacksOf(join(dir, 'cdktf.out'));
    expect(Object.keys(consumer)).toEqual(['example', 'example-crds']);
    expect(consumer).toEqual(stacksOf(outdir));
    expect(readFileSync(join(dir, 'cdktf.out', 'stacks', 'example', 'cdk.tf.json'), 'utf8')).toContain('"kubectl_manifest"');
  }, 300_000);

  it("runs README's cdktf example as written", async () => {
    const outdir = join(dir, 'readme.out');
    await run('npx', ['ts-node', 'readme.ts'], { cwd: dir, env: quietEnv({ CDKTF_OUTDIR: outdir }), timeoutMs: 300_000 });
    const stack = readJson(join(outdir, 'stacks', 'armonik', 'cdk.tf.json'));
    const manifests = Object.values(stack.resource.kubectl_manifest as Record<string, { yaml_body: string }>).map((r) => JSON.parse(r.yaml_body));
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(expect.arrayContaining([
      'StatefulSet/activemq', 'StatefulSet/minio', 'PerconaServerMongoDB/mongodb-db-ps', 'Deployment/control-plane',
    ]));
  }, 300_000);
});
