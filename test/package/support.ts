/**
 * The package as users install it: `npm pack` once per test run (prepack builds it), then
 * projects in temporary folders that install the tarball from the file and everything else from
 * the npm registry, as `cdk8s init` / `cdktf init` would.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PACKAGE_NAME = 'platform-constructs';

/** Runs a command; rejects with its output in the message. */
export function run(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: opts.env ?? quietEnv(), maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 600_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd}) failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolvePromise(stdout);
      },
    );
  });
}

/** No update checks, crash reports or colours; no Jest or npm variables of this run leaking into a child. */
export function quietEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|JEST_|NODE_OPTIONS$|INIT_CWD$|PLATFORM_CONSTRUCTS_TF_)/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    CDK8S_CHECK_UPGRADE: 'false',
    CHECKPOINT_DISABLE: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

export interface PackedPackage {
  /** The tarball. */
  readonly file: string;
  /** Paths inside the package, as `npm pack --json` lists them. */
  readonly files: readonly string[];
  /** Bytes of the tarball. */
  readonly size: number;
  readonly unpackedSize: number;
}

const PACK_DIR = join(tmpdir(), 'platform-constructs-package-test');
const PACK_ENV = 'PLATFORM_CONSTRUCTS_PACKED';

/**
 * `npm pack` of the repository (its prepack script builds `build/`), once per test run: the
 * project's global setup packs, and the test files find the tarball through the environment.
 */
export async function packedPackage(): Promise<PackedPackage> {
  const known = process.env[PACK_ENV];
  if (known && existsSync(JSON.parse(known).file)) return JSON.parse(known) as PackedPackage;
  rmSync(PACK_DIR, { recursive: true, force: true });
  mkdirSync(PACK_DIR, { recursive: true });
  const out = await run('npm', ['pack', '--json', '--pack-destination', PACK_DIR], { cwd: REPO });
  const [info] = JSON.parse(out) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  const packed: PackedPackage = {
    file: join(PACK_DIR, info.filename),
    files: info.files.map((f) => f.path).sort(),
    size: info.size,
    unpackedSize: info.unpackedSize,
  };
  process.env[PACK_ENV] = JSON.stringify(packed);
  return packed;
}

/** Removes the tarball of {@link packedPackage}. */
export function removePackedPackage(): void {
  rmSync(PACK_DIR, { recursive: true, force: true });
  delete process.env[PACK_ENV];
}

/** A fresh temporary project folder. */
export function tempProject(name: string): string {
  return mkdtempSync(join(tmpdir(), `pc-consumer-${name}-`));
}

/** `npm install` in `dir` (registry packages may come from the npm cache). */
export async function npmInstall(dir: string, specs: readonly string[] = [], opts: { dev?: boolean } = {}): Promise<void> {
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...(opts.dev ? ['--save-dev'] : []), ...specs], { cwd: dir, timeoutMs: 900_000 });
}

/**
 * What `sscaff` (the scaffolder of `cdk8s init` and `cdktf init`) writes from `template`, without
 * running the template's post hook: the tests run its steps themselves, pinned (the hooks
 * install whatever is newest, and `cdk8s import` needs GitHub).
 */
export async function scaffold(template: string, dest: string, variables: Record<string, string>): Promise<void> {
  const staging = mkdtempSync(join(tmpdir(), 'pc-template-'));
  try {
    cpSync(template, staging, { recursive: true });
    rmSync(join(staging, '.hooks.sscaff.js'), { force: true });
    const { sscaff } = (await import('sscaff')) as { sscaff: (src: string, dst: string, vars: Record<string, string>) => Promise<void> };
    await sscaff(staging, dest, variables);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A file of the repository's examples as it reads in a user's project: its imports of the
 * package entries become imports of the package, its relative imports point at the copies
 * named in `siblings`. Any other relative import is an error: the examples use the public API.
 */
export function asConsumerFile(repoFile: string, siblings: Readonly<Record<string, string>> = {}): string {
  const text = readFileSync(join(REPO, repoFile), 'utf8');
  return text.replace(/from '(\.[^']*)'/g, (_, spec: string) => {
    if (spec === '../../index.js') return `from '${PACKAGE_NAME}'`;
    if (spec === '../../tf.js') return `from '${PACKAGE_NAME}/tf'`;
    if (spec === '../../tn.js') return `from '${PACKAGE_NAME}/tn'`;
    if (spec in siblings) return `from '${siblings[spec]}'`;
    throw new Error(`${repoFile} imports '${spec}', which a user's project does not have`);
  });
}

/** The TypeScript block of README.md that follows `<!-- readme-example: <name> ... -->`. */
export function readmeExample(name: string): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- readme-example: ${name}\\b[^>]*-->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no readme-example block "${name}"`);
  return match[1];
}

/** Copies the example's `terraform output -json` input to the same place in `dir`. */
export function copyExampleInputs(dir: string): void {
  mkdirSync(join(dir, 'examples', 'modules'), { recursive: true });
  for (const f of readdirSync(join(REPO, 'examples', 'modules'))) {
    cpSync(join(REPO, 'examples', 'modules', f), join(dir, 'examples', 'modules', f));
  }
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The version of a package installed in the repository (what the templates would read). */
export function installedVersion(name: string): string {
  return readJson<{ version: string }>(join(REPO, 'node_modules', name, 'package.json')).version;
}

/** The CDK Terrain release the package supports (peerDependencies: cdktn ^0.24.0). */
export const CDKTN_VERSION = '0.24.0';

/**
 * A project in `dir` as `cdktn init --template=typescript` lays it out (the template ships inside
 * cdktn-cli: scaffolded from the released tarball), with what the template's post hook installs
 * (cdktn and its CLI, constructs within cdktn's peer range, TypeScript and ts-node), pinned, then
 * what README tells a CDK Terrain user to add: the package (`tarball`), cdk8s, cdk8s-plus-28.
 * The CLI needs Node >= 22.19 (test/peers/node-runtime.sh).
 */
export async function cdktnProject(dir: string, tarball: string): Promise<void> {
  const staging = mkdtempSync(join(tmpdir(), 'pc-cdktn-cli-'));
  try {
    await run('npm', ['pack', `cdktn-cli@${CDKTN_VERSION}`, '--pack-destination', staging, '--prefer-offline'], { cwd: staging });
    await run('tar', ['xzf', join(staging, `cdktn-cli-${CDKTN_VERSION}.tgz`), '-C', staging], { cwd: staging });
    const { FUTURE_FLAGS } = (await import('cdktf/lib/features.js')) as { FUTURE_FLAGS: Record<string, string> };
    await scaffold(join(staging, 'package', 'bundle', 'templates', 'typescript'), dir, {
      futureFlags: Object.entries(FUTURE_FLAGS).map(([k, v]) => `    "${k}": "${v}"`).join(',\n'),
      projectId: '6f0e6f5c-6a5b-4d4e-9f3a-000000000001',
      sendCrashReports: 'false',
    });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  await npmInstall(dir, [`cdktn@${CDKTN_VERSION}`, 'constructs@>=10.6.0 <10.8.0']);
  await npmInstall(dir, [`cdktn-cli@${CDKTN_VERSION}`, '@types/node@20', 'typescript@5.9', 'ts-node@10'], { dev: true });
  await npmInstall(dir, [tarball, 'cdk8s', 'cdk8s-plus-28']);
  rmSync(join(dir, '__tests__'), { recursive: true, force: true });
}

/** The cdktn CLI script of a {@link cdktnProject}. */
export function cdktnCli(dir: string): string {
  return join(dir, 'node_modules', 'cdktn-cli', 'bundle', 'bin', 'cdktn');
}
