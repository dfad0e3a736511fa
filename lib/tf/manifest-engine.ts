import type { KubernetesObject } from '../k8s/object.js';
import { Token } from './core.js';

/**
 * An attribute of a resource as the core library synthesizes it: its JSON value, and what
 * `synth --hcl` needs to print it.
 */
export interface ResourceAttribute {
  readonly value: unknown;
  readonly type: 'simple' | 'map' | 'list';
  readonly storageClassType: string;
  readonly isBlock?: boolean;
}

/** Options of {@link ManifestEngine.kubectl}. */
export interface KubectlEngineOptions {
  /**
   * Wait for Deployments, StatefulSets and DaemonSets to roll out before the apply of the object
   * completes (the provider's `wait_for_rollout`). Off, an apply returns once the API server has
   * stored the object, as a GitOps tool's apply does. @default false
   */
  readonly waitForRollout?: boolean;
  /**
   * Take back fields another field manager took (server-side apply `force`), e.g. a field
   * changed with `kubectl edit`: the next apply restores what the stack declares, as Flux and
   * Argo CD do. Off, such an apply fails with a conflict naming the field and its manager.
   * @default true
   */
  readonly forceConflicts?: boolean;
  /** Validate each object against the cluster's schema before applying it. @default true */
  readonly validateSchema?: boolean;
}

/** Options of {@link ManifestEngine.kubernetesManifest}. */
export interface KubernetesManifestEngineOptions {
  /** As {@link KubectlEngineOptions.forceConflicts}. @default true */
  readonly forceConflicts?: boolean;
}

/** A Terraform expression put into a manifest: written as is, where everything else is escaped. */
export class TerraformExpression {
  /** @param expression HCL expression, without the `${ }` around it */
  constructor(readonly expression: string) {}
}

/** `text` with Terraform's template sequences escaped (`${` as `$${`, `%{` as `%%{`): read back as written. */
export function escapeTemplates(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/**
 * A value as Terraform must read it: Terraform takes `${` and `%{` in any string of a
 * configuration (keys included) as a template, so a ConfigMap holding `${activemq.home}` would
 * be an unknown reference; they are escaped (`$${`, `%%{`), except in the expressions this bridge
 * writes itself and in tokens (references to other Terraform resources) a user put there.
 * `expression` renders a {@link TerraformExpression}.
 */
function terraformLiteral(value: unknown, expression: (e: TerraformExpression) => unknown): unknown {
  if (value instanceof TerraformExpression) return expression(value);
  if (typeof value === 'string' && Token.isUnresolved(value)) return value;
  if (typeof value === 'string') return escapeTemplates(value);
  if (Array.isArray(value)) return value.map((v) => terraformLiteral(v, expression));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [terraformLiteral(k, expression) as string, terraformLiteral(v, expression)]));
  }
  return value;
}

/**
 * How {@link KubernetesManifests} turns each object into a Terraform resource. Both apply with
 * server-side apply under the construct's field manager, track each object in the state, show a
 * field changed by hand in the cluster as a change in `plan`, and delete on destroy.
 *
 * - `kubectl()` (default): `kubectl_manifest` of the alekc/kubectl provider. The object travels
 *   as a JSON document; plan reads the live object and compares the fields the manifest sets.
 *   About 10× faster than `kubernetes_manifest` for plan and apply (README, "cdktf: where the time
 *   goes"), and custom resources need no CRD at plan time.
 * - `kubernetesManifest()`: `kubernetes_manifest` of hashicorp/kubernetes, which types every
 *   object from the cluster's OpenAPI document at plan time: plans show field-level diffs, but
 *   cost ~0.3 s of provider CPU per object, and a custom resource's CRD must exist when the stack
 *   using it is planned (deploy the CRDs in a stack of their own).
 */
export abstract class ManifestEngine {
  /** `kubectl_manifest` (alekc/kubectl): server-side apply of the JSON document of each object. */
  public static kubectl(options: KubectlEngineOptions = {}): ManifestEngine {
    return new KubectlEngine(options);
  }

  /** `kubernetes_manifest` (hashicorp/kubernetes): each object typed from the cluster's OpenAPI document. */
  public static kubernetesManifest(options: KubernetesManifestEngineOptions = {}): ManifestEngine {
    return new KubernetesManifestEngine(options);
  }

  /** Terraform resource type, e.g. `kubectl_manifest`. */
  public abstract readonly resourceType: string;
  /** Local name of the provider the resources use, e.g. `kubectl`. */
  public abstract readonly providerName: string;
  /** Whether planning a custom resource needs its CRD in the cluster already. */
  public abstract readonly needsCrdsAtPlan: boolean;

  /**
   * The resource attributes of one object. `computedFields` are fields the API server or another
   * writer fills in, which a plan must not show as drift.
   */
  public abstract attributes(manifest: KubernetesObject, fieldManager: string, computedFields: readonly string[] | undefined): Record<string, ResourceAttribute>;
}

const simple = (value: unknown, storageClassType: string): ResourceAttribute => ({ value, type: 'simple', storageClassType });

class KubectlEngine extends ManifestEngine {
  public readonly resourceType = 'kubectl_manifest';
  public readonly providerName = 'kubectl';
  public readonly needsCrdsAtPlan = false;

  constructor(private readonly options: KubectlEngineOptions) {
    super();
  }

  public attributes(manifest: KubernetesObject, fieldManager: string): Record<string, ResourceAttribute> {
    return {
      yaml_body: simple(jsonTemplate(manifest), 'string'),
      server_side_apply: simple(true, 'boolean'),
      field_manager: simple(fieldManager, 'string'),
      force_conflicts: simple(this.options.forceConflicts ?? true, 'boolean'),
      wait_for_rollout: simple(this.options.waitForRollout ?? false, 'boolean'),
      validate_schema: simple(this.options.validateSchema ?? true, 'boolean'),
    };
  }
}

/**
 * The object's JSON text as a Terraform template (JSON is YAML, so it is the `yaml_body`):
 * literal text escaped, tokens left for the core library to resolve, and each
 * {@link TerraformExpression} spliced in as `${jsonencode(<expression>)}`.
 */
export function jsonTemplate(manifest: KubernetesObject): string {
  const expressions: string[] = [];
  const marker = (i: number) => `\u0000tf-expression-${i}\u0000`;
  const literal = terraformLiteral(manifest, (e) => marker(expressions.push(e.expression) - 1));
  let text = JSON.stringify(literal);
  expressions.forEach((e, i) => {
    text = text.replace(JSON.stringify(marker(i)), () => `\${jsonencode(${e})}`);
  });
  return text;
}

class KubernetesManifestEngine extends ManifestEngine {
  public readonly resourceType = 'kubernetes_manifest';
  public readonly providerName = 'kubernetes';
  public readonly needsCrdsAtPlan = true;

  constructor(private readonly options: KubernetesManifestEngineOptions) {
    super();
  }

  public attributes(manifest: KubernetesObject, fieldManager: string, computedFields: readonly string[] | undefined): Record<string, ResourceAttribute> {
    const fieldManagerBlock = { name: fieldManager, force_conflicts: this.options.forceConflicts ?? true };
    return {
      manifest: { value: terraformLiteral(manifest, (e) => `\${${e.expression}}`), type: 'map', storageClassType: 'anyMap' },
      field_manager: { value: fieldManagerBlock, type: 'list', storageClassType: 'ManifestFieldManagerList', isBlock: true },
      ...(computedFields ? { computed_fields: { value: [...computedFields], type: 'list', storageClassType: 'stringList' } as ResourceAttribute } : {}),
    };
  }
}
