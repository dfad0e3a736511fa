/**
 * The Terraform-side tools of the offline tests: OpenTofu, the hashicorp/kubernetes and
 * alekc/kubectl providers in filesystem mirrors, kustomize, kube-score, and the Terraform CLI config that installs the provider from
 * that mirror only. `ensureTerraformTools()` runs build-terraform.sh (which builds what is
 * missing, or takes prebuilt tools from PLATFORM_CONSTRUCTS_TOFU / _TF_MIRROR / _KUSTOMIZE / _KUBE_SCORE)
 * and returns the paths; `terraformEnv()` is the environment for cdktf and tofu.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
export const TERRAFORM_BUILD_SCRIPT = join(HERE, 'build-terraform.sh');

export interface TerraformVersions {
  /** OpenTofu tag. */
  readonly opentofu: string;
  /** hashicorp/kubernetes provider version (the mirror's version directory). */
  readonly kubernetesProvider: string;
  /** Go module version the provider is built from. */
  readonly kubernetesProviderModule: string;
  /** alekc/kubectl provider version (the mirror's version directory). */
  readonly kubectlProvider: string;
  /** Go module version the kubectl provider is built from. */
  readonly kubectlProviderModule: string;
  readonly kustomize: string;
  /** kube-score tag (Go module github.com/zegl/kube-score). */
  readonly kubeScore: string;
}

export function terraformVersions(): TerraformVersions {
  return JSON.parse(readFileSync(join(HERE, 'terraform-versions.json'), 'utf8')) as TerraformVersions;
}

export interface TerraformTools {
  /** The tofu (or terraform) binary. */
  readonly tofu: string;
  readonly kustomize: string;
  readonly kubeScore: string;
  /** Filesystem mirror holding registry.terraform.io/hashicorp/kubernetes. */
  readonly mirror: string;
  /** CLI config file installing providers from `mirror` only (TF_CLI_CONFIG_FILE). */
  readonly cliConfigFile: string;
  /** Version of hashicorp/kubernetes in the mirror. */
  readonly kubernetesProviderVersion: string;
  /** Filesystem mirror holding registry.terraform.io/alekc/kubectl. */
  readonly kubectlMirror: string;
  /** Version of alekc/kubectl in its mirror. */
  readonly kubectlProviderVersion: string;
}

let cached: Promise<TerraformTools> | undefined;

/** Builds what is missing (minutes, once) and returns the tools; cached per process. */
export function ensureTerraformTools(): Promise<TerraformTools> {
  cached ??= new Promise<TerraformTools>((resolve, reject) => {
    const child = spawn('bash', [TERRAFORM_BUILD_SCRIPT, '--print-env'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let tail = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const s = d.toString();
      // Quiet when everything is cached; the build's progress is worth seeing.
      if (!/^build-terraform: (cached|ok|using)/m.test(s)) process.stderr.write(d);
      tail = (tail + s).slice(-4000);
    });
    child.on('error', (err) => reject(new Error(`could not run ${TERRAFORM_BUILD_SCRIPT}: ${err.message}`)));
    child.on('exit', (code) => {
      if (code !== 0) {
        const msg = tail.split('\n').filter((l) => l.includes('error:')).pop() ?? tail.trim().split('\n').pop();
        return reject(new Error(`preparing the Terraform tools failed (exit ${code}): ${msg}`));
      }
      const env = Object.fromEntries(
        out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      resolve({
        tofu: env.TOFU,
        kustomize: env.KUSTOMIZE,
        kubeScore: env.KUBE_SCORE,
        mirror: env.TF_MIRROR,
        cliConfigFile: env.TF_CLI_CONFIG_FILE,
        kubernetesProviderVersion: env.KUBERNETES_PROVIDER_VERSION,
        kubectlMirror: env.KUBECTL_MIRROR,
        kubectlProviderVersion: env.KUBECTL_PROVIDER_VERSION,
      });
    });
  });
  return cached;
}

/**
 * Environment for `cdktf` and `tofu`, offline: the tofu binary for cdktf, the mirror-only CLI
 * config, no checkpoint or crash-report calls, no colours, no upgrade checks.
 */
export function terraformEnv(tools: TerraformTools, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TERRAFORM_BINARY_NAME: tools.tofu,
    TF_CLI_CONFIG_FILE: tools.cliConfigFile,
    CHECKPOINT_DISABLE: '1',
    DISABLE_VERSION_CHECK: 'true',
    CDKTF_DISABLE_PLUGIN_CACHE_ENV: 'true',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    CI: '1',
    ...extra,
  };
}

/** Runs `tofu <args>` in `cwd`; resolves with stdout, rejects with stdout+stderr in the message. */
export async function tofu(tools: TerraformTools, cwd: string, args: string[], env: NodeJS.ProcessEnv = terraformEnv(tools)): Promise<string> {
  try {
    const { stdout } = await run(tools.tofu, [args[0], ...(['init', 'plan', 'apply', 'destroy', 'show', 'output'].includes(args[0]) ? ['-no-color'] : []), ...args.slice(1)], { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`tofu ${args.join(' ')} in ${cwd} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** `kustomize build <dir>`: the rendered YAML stream. */
export async function kustomizeBuild(tools: TerraformTools, dir: string): Promise<string> {
  try {
    const { stdout } = await run(tools.kustomize, ['build', dir], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kustomize build ${dir} failed: ${(e.stderr || e.message).trim()}`);
  }
}

const REPO = join(HERE, '..', '..');
const CDKTF_BIN = join(REPO, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');

/**
 * Runs the cdktf CLI (`cdktf <args>`; `cli`: another CLI script, e.g. cdktn's, `node`: the runtime) in the project root
 * (or `cwd`) with `env`; resolves with its output
 * (stdout and stderr together, as the CLI interleaves them), rejects with that output in the
 * message.
 */
export function cdktf(args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; timeoutMs?: number; cli?: string; node?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.node ?? process.execPath, [opts.cli ?? CDKTF_BIN, ...args], { cwd: opts.cwd ?? REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 600_000);
    child.on('error', (err) => reject(new Error(`could not run cdktf: ${err.message}`)));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(out);
      reject(new Error(`cdktf ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out.slice(-8000)}`));
    });
  });
}
