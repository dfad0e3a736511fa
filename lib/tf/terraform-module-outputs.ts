import type { TerraformRemoteState } from './core.js';
import { isDns1123Label } from '../k8s/names.js';
import { ValidationError } from '../k8s/validation.js';
import { CONFIG_KEY_PATTERN, DIRECTORY_PREFIX_PATTERN, ENV_NAME_PATTERN } from '../k8s/validators.js';

/** Options of {@link TerraformModuleOutputs.fromRemoteState}. */
export interface RemoteModuleOptions {
  /**
   * The root output that holds the module's outputs, when the other state publishes the module as
   * one object (`output "mongodb" { value = module.mongodb }`).
   * @default none: the nine outputs are root outputs of the other state (`env`, `env_secret`, ...)
   */
  readonly output?: string;
}

/** A precondition Terraform checks before it creates or updates the consuming object. */
export interface ModulePrecondition {
  /** HCL expression, without `${}`. */
  readonly condition: string;
  /** HCL template of the message (may interpolate). */
  readonly errorMessage: string;
}

/** HCL regular expressions of the contract's rules (RE2, as Terraform's `regex` reads them). */
const ENV_NAME = ENV_NAME_PATTERN;
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const CONFIG_KEY = CONFIG_KEY_PATTERN;
const DIRECTORY_PREFIX = DIRECTORY_PREFIX_PATTERN;
const ABSOLUTE_PATH = '^/[^:]*$';

/**
 * The outputs of a module that lives in another Terraform state, read through a
 * `terraform_remote_state` data source: the values are known to Terraform only (at plan time
 * for a remote state, at apply time when they are computed), so the contract's checks run there
 * too, as preconditions of the consuming object, and a violation names the module and the field
 * like a {@link ModuleOutputsError} does:
 *
 * ```
 * Error: Resource precondition failed ... module "mongodb": /env_secret/0: "Bad_Name" is not a valid Kubernetes object name
 * ```
 *
 * Supported outputs: `env`, `env_configmap`, `env_secret`, `env_from_configmap`,
 * `env_from_secret`, `mount_configmap`, `mount_secret` (path only: `items`, `mode` and `subpath`
 * are not read here). Outputs known when you synthesize (a `terraform output -json` file) go
 * through `ModuleOutputs.fromTerraformOutput` instead, which supports everything and fails at synth.
 */
export class TerraformModuleOutputs {
  /** The module's outputs in the state `state` reads (any backend). */
  public static fromRemoteState(name: string, state: TerraformRemoteState, options: RemoteModuleOptions = {}): TerraformModuleOutputs {
    if (typeof name !== 'string' || !isDns1123Label(name) || name.length > 40) {
      throw new ValidationError('TerraformModuleOutputs', 'name', `module name "${name}" must be a DNS-1123 label of at most 40 characters (it names volumes)`, name);
    }
    const base = `data.${TERRAFORM_REMOTE_STATE}.${state.friendlyUniqueId}.outputs${options.output ? `.${options.output}` : ''}`;
    return new TerraformModuleOutputs(name, base);
  }

  private constructor(
    /** The module's name, as error messages give it. */
    public readonly name: string,
    /** HCL expression of the object holding the nine outputs. */
    private readonly base: string,
  ) {}

  /** HCL: `env`, `env_from_secret`, `env_from_configmap` as container `env` entries (each sorted by name). */
  public env(): string[] {
    return [
      `[for k, v in ${this.map('env')} : { name = k, value = try(tostring(v), "") }]`,
      `[for k, v in ${this.map('env_from_configmap')} : { name = k, valueFrom = { configMapKeyRef = { name = try(tostring(v.configmap), ""), key = try(tostring(v.field), "") } } }]`,
      `[for k, v in ${this.map('env_from_secret')} : { name = k, valueFrom = { secretKeyRef = { name = try(tostring(v.secret), ""), key = try(tostring(v.field), "") } } }]`,
    ];
  }

  /** HCL: `env_configmap`, `env_secret` as container `envFrom` entries. */
  public envFrom(): string[] {
    return [
      `[for n in ${this.list('env_configmap')} : { configMapRef = { name = try(tostring(n), "") } }]`,
      `[for n in ${this.list('env_secret')} : { secretRef = { name = try(tostring(n), "") } }]`,
    ];
  }

  /** HCL: pod `volumes` for `mount_configmap` and `mount_secret`, named `<module>-c-<key>` / `<module>-s-<key>`. */
  public volumes(): string[] {
    return [
      `[for k, v in ${this.map('mount_configmap')} : { name = ${this.volumeName('c')}, configMap = { name = try(tostring(v.configmap), "") } }]`,
      `[for k, v in ${this.map('mount_secret')} : { name = ${this.volumeName('s')}, secret = { secretName = try(tostring(v.secret), "") } }]`,
    ];
  }

  /** HCL: container `volumeMounts` for those volumes, read-only. */
  public volumeMounts(): string[] {
    return [
      `[for k, v in ${this.map('mount_configmap')} : { name = ${this.volumeName('c')}, mountPath = try(tostring(v.path), ""), readOnly = true }]`,
      `[for k, v in ${this.map('mount_secret')} : { name = ${this.volumeName('s')}, mountPath = try(tostring(v.path), ""), readOnly = true }]`,
    ];
  }

  /**
   * The contract's checks as preconditions. `taken` are env names the container sets itself
   * (a module must not override them).
   */
  public preconditions(container: string, taken: readonly string[]): ModulePrecondition[] {
    const checks: ModulePrecondition[] = [];
    const add = (iter: string, bad: string, message: string) =>
      checks.push({ condition: `length([${iter} : true if ${bad}]) == 0`, errorMessage: `module "${this.name}": \${join("; ", [${iter} : ${message} if ${bad}])}` });
    const q = (expr: string) => `\\"\${${expr}}\\"`;

    add(`for k, v in ${this.map('env')}`, `!can(tostring(v))`, `"/env/\${k}: must be a string, a number or a boolean"`);
    for (const output of ['env', 'env_from_configmap', 'env_from_secret']) {
      add(`for k, v in ${this.map(output)}`, `!can(regex("${ENV_NAME}", k)) || can(regex("${DIRECTORY_PREFIX}", k))`, `"/${output}/\${k}: ${q('k')} is not a valid environment variable name"`);
      add(
        `for k, v in ${this.map(output)}`,
        `contains(${JSON.stringify([...taken])}, k)`,
        `"/${output}/\${k}: ${q('k')} is already set by container \\"${container}\\"; a module must not override it"`,
      );
    }
    for (const [output, field] of [['env_from_configmap', 'configmap'], ['env_from_secret', 'secret'], ['mount_configmap', 'configmap'], ['mount_secret', 'secret']]) {
      add(
        `for k, v in ${this.map(output)}`,
        `!can(regex("${DNS_SUBDOMAIN}", v.${field})) || length(v.${field}) > 253`,
        `"/${output}/\${k}/${field}: ${q(`try(tostring(v.${field}), "?")`)} is not a valid Kubernetes object name (DNS-1123 subdomain)"`,
      );
    }
    for (const output of ['env_from_configmap', 'env_from_secret']) {
      add(`for k, v in ${this.map(output)}`, `!can(regex("${CONFIG_KEY}", v.field)) || can(regex("${DIRECTORY_PREFIX}", v.field))`, `"/${output}/\${k}/field: ${q('try(tostring(v.field), "?")')} is not a valid ConfigMap/Secret key"`);
    }
    for (const output of ['env_configmap', 'env_secret']) {
      add(
        `for i, n in ${this.list(output)}`,
        `!can(regex("${DNS_SUBDOMAIN}", n)) || length(n) > 253`,
        `"/${output}/\${i}: ${q('try(tostring(n), "?")')} is not a valid Kubernetes object name (DNS-1123 subdomain)"`,
      );
    }
    for (const output of ['mount_configmap', 'mount_secret']) {
      add(
        `for k, v in ${this.map(output)}`,
        `!can(regex("${ABSOLUTE_PATH}", v.path)) || can(regex("(^|/)\\\\.\\\\.(/|$)", v.path))`,
        `"/${output}/\${k}/path: ${q('try(tostring(v.path), "?")')} is not an absolute path without ':' or '..'"`,
      );
      add(
        `for k, v in ${this.map(output)}`,
        `length(${this.volumeName(output === 'mount_configmap' ? 'c' : 's')}) > 63`,
        `"/${output}/\${k}: the volume name ${q(this.volumeName(output === 'mount_configmap' ? 'c' : 's'))} is longer than 63 characters"`,
      );
    }
    return checks;
  }

  /** `{ for ... }`-safe map of one output: `{}` when the output is missing or null. */
  private map(output: string): string {
    return `try({ for k, v in ${this.base}.${output} : k => v }, {})`;
  }

  private list(output: string): string {
    return `try([for x in ${this.base}.${output} : x], [])`;
  }

  private volumeName(kind: 'c' | 's'): string {
    return `"${this.name}-${kind}-\${trim(lower(replace(k, "/[^a-zA-Z0-9-]+/", "-")), "-")}"`;
  }
}

const TERRAFORM_REMOTE_STATE = 'terraform_remote_state';
