import { by } from '../k8s/sort.js';
import { ModuleOutputsError } from './errors.js';
import { K8S_RULES } from './rules.js';
import { mergeParsed, type MergeOptions } from './merge.js';
import { describeValue, isPlainObject, setOwn, ValidationError } from '../k8s/validation.js';
import { checkJsonData, checkModuleName, parseHcl, propsToHcl, splitCount, terraformOutputToHcl, type ParsedModule } from './parse.js';
import { renderPodSpecParts, type RenderOptions } from './render.js';
import { checkEndpoints, type ModuleEndpoint, type ModuleEndpointProps } from './endpoints.js';
import type { EnvEntry, EnvFromEntry, ModuleOutputsProps, MountEntry, PodSpecParts } from './types.js';

/** Anything that publishes module outputs: infrastructure module constructs implement it. */
export interface IModule {
  /** The module's outputs under the AEP 5 contract. */
  readonly outputs: ModuleOutputs;
}

/**
 * The outputs of one or more infrastructure modules, validated and normalized.
 * Immutable: build with the static factories, combine with {@link ModuleOutputs.merge}.
 */
export class ModuleOutputs {
  /** From TypeScript props (camelCase). */
  public static of(name: string, props: ModuleOutputsProps): ModuleOutputs {
    const module = checkModuleName(name);
    checkJsonData(module, props);
    return new ModuleOutputs([module], parseHcl(module, propsToHcl(module, props)), []);
  }

  /**
   * From the snake_case object of a Terraform module (what `module.x` holds). Outputs other than
   * the nine of the contract are ignored; a list (a module with `count`) is read element by element.
   */
  public static fromObject(name: string, outputs: unknown): ModuleOutputs {
    const module = checkModuleName(name);
    checkJsonData(module, outputs);
    const parts = splitCount(module, outputs);
    const parsed = parts.map(([n, o]) => parseHcl(n, o));
    return new ModuleOutputs(parts.map(([n]) => n), parts.length === 1 ? parsed[0] : mergeParsed(parsed), []);
  }

  /** From the document `terraform output -json` prints (a JSON string or its parsed value). */
  public static fromTerraformOutput(name: string, json: unknown): ModuleOutputs {
    const module = checkModuleName(name);
    return ModuleOutputs.fromObject(module, terraformOutputToHcl(module, json));
  }

  /** Outputs that contribute nothing. */
  public static empty(): ModuleOutputs {
    return new ModuleOutputs([], { env: [], envFrom: [], mounts: [] }, []);
  }

  /**
   * Merges modules in order. Sets (`env_configmap`, `env_secret`) are unions in first-seen
   * order; the same env name or mount path set differently by two modules is a
   * {@link ModuleOutputsError} naming both, unless `onConflict: 'last-wins'`.
   */
  public static merge(modules: ReadonlyArray<ModuleOutputs | IModule>, options: MergeOptions = {}): ModuleOutputs {
    if (!Array.isArray(modules)) throw new ValidationError('ModuleOutputs.merge', 'modules', `must be a list of modules, not ${describeValue(modules)}`);
    if (!isPlainObject(options)) throw new ValidationError('ModuleOutputs.merge', 'options', `must be an object ({ onConflict }), not ${describeValue(options)}`);
    const list = modules.map((m, i) => {
      const outputs = m instanceof ModuleOutputs ? m : m?.outputs;
      if (!(outputs instanceof ModuleOutputs)) {
        throw new ModuleOutputsError(`modules[${i}]`, '', 'is neither ModuleOutputs nor a module with `outputs`');
      }
      return outputs;
    });
    if (list.length === 1 && options.onConflict === undefined) return list[0];
    return new ModuleOutputs(
      list.flatMap((m) => m.modules),
      mergeParsed(list.map((m) => m.parsed), options),
      list.flatMap((m) => m.endpoints),
    );
  }

  /** Names of the modules these outputs come from, in merge order. */
  public readonly modules: readonly string[];
  /**
   * Where consumers of these modules connect (not one of the nine outputs): what network
   * policies are derived from. Empty for a module reached by no one over the network (env only,
   * or a volume the kubelet mounts).
   */
  public readonly endpoints: readonly ModuleEndpoint[];
  private readonly parsed: ParsedModule;

  private constructor(modules: readonly string[], parsed: ParsedModule, endpoints: readonly ModuleEndpoint[]) {
    this.modules = Object.freeze([...modules]);
    this.endpoints = Object.freeze([...endpoints]);
    // Immutable for real: parseHcl froze the entries, shared by every merge that includes them.
    this.parsed = Object.freeze({ env: Object.freeze(parsed.env), envFrom: Object.freeze(parsed.envFrom), mounts: Object.freeze(parsed.mounts) }) as ParsedModule;
  }

  /** Every environment variable, literal or referenced, with the module that set it. */
  public get envEntries(): readonly EnvEntry[] {
    return this.parsed.env;
  }

  /** ConfigMaps and Secrets loaded whole, in precedence order (later wins). */
  public get envFromEntries(): readonly EnvFromEntry[] {
    return this.parsed.envFrom;
  }

  /** Every mount with its volume source. */
  public get mounts(): readonly MountEntry[] {
    return this.parsed.mounts;
  }

  /** The literal env values, sorted by name. */
  public literalEnv(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of [...this.parsed.env].sort(by('name'))) {
      if (e.source.kind === 'value') setOwn(out, e.name, e.source.value);
    }
    return out;
  }

  /** The same outputs without literal env values (used when those go into a ConfigMap instead). */
  public withoutLiteralEnv(): ModuleOutputs {
    return new ModuleOutputs(this.modules, { ...this.parsed, env: this.parsed.env.filter((e) => e.source.kind !== 'value') }, this.endpoints);
  }

  /** Adds a ConfigMap loaded with `envFrom` (after the modules' own, so it wins over them). */
  public withEnvFromConfigMap(name: string, module = 'component'): ModuleOutputs {
    const reason = K8S_RULES.dnsSubdomain(name);
    if (reason) throw new ModuleOutputsError(module, '/env_configmap', reason);
    const entry: EnvFromEntry = Object.freeze({ kind: 'configMap', name, module, path: '/env_configmap' });
    return new ModuleOutputs(this.modules, { ...this.parsed, envFrom: [...this.parsed.envFrom, entry] }, this.endpoints);
  }

  /**
   * The same outputs with these endpoints added (checked; errors name the module): where the
   * module's consumers connect, e.g. `{ pods: { namespace, labels }, ports: [{ port: 5672 }] }`,
   * or `{ cidrs: ANYWHERE, ports: [{ port: 443 }] }` for a service outside the cluster.
   * `module` names the declaring module. @default the first of {@link modules}
   */
  public withEndpoints(endpoints: readonly ModuleEndpointProps[], module: string = this.modules[0] ?? 'module'): ModuleOutputs {
    return new ModuleOutputs(this.modules, this.parsed, [...this.endpoints, ...checkEndpoints(module, endpoints)]);
  }

  /** The env, envFrom, volumes and mounts a pod gets from these modules, as plain Kubernetes JSON. */
  public toPodSpecParts(options: RenderOptions = {}): PodSpecParts {
    // Rendered afresh each time: callers own (and may mutate) what they get, and rendering costs
    // less than copying a cached result.
    return renderPodSpecParts(this.parsed, options);
  }
}

