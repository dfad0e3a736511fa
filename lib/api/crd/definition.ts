/**
 * A custom resource declared once: the CRD manifest, the TypeScript types of spec and status per
 * version, and synth-time validation of instances all come from `defineCustomResource`.
 *
 *   export const Widget = defineCustomResource({
 *     group: 'examples.platform-constructs.io',
 *     kind: 'Widget',
 *     scope: 'Namespaced',
 *     versions: [
 *       crdVersion('v1', { storage: true, spec: WidgetSpec, status: WidgetStatus, printerColumns: [...] }),
 *     ],
 *   });
 *   type WidgetSpec = SpecOf<typeof Widget>;         // of the storage version
 *   Widget.manifest();                                 // the apiextensions.k8s.io/v1 CRD
 *   Widget.validate({ minReplicas: 1 }, { source });   // throws ValidationError('/spec/...')
 */
import { isPlainObject, ValidationError } from '../../k8s/validation.js';
import { isDns1123Subdomain } from '../../k8s/names.js';
import type { ObjectMeta } from '../../k8s/object.js';
import type { JSONSchemaProps, Static, StaticInput, TSchema } from './schema.js';
import { checkValue, scalarSurelyValid } from './validate.js';

/** An additional printer column (`kubectl get`). */
export interface PrinterColumn {
  /** Column header. */
  readonly name: string;
  readonly type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  /** A simple JSONPath into the object, such as `.spec.replicas` or `.status.conditions[?(@.type=="Ready")].status`. */
  readonly jsonPath: string;
  /** @default none */
  readonly description?: string;
  /** @default none */
  readonly format?: string;
  /** 0 shows in the default view, higher only with `-o wide`. @default 0 */
  readonly priority?: number;
}

/** The scale subresource (`kubectl scale`, HorizontalPodAutoscaler). */
export interface ScaleSubresource {
  /** e.g. `.spec.replicas` (an integer of the spec). */
  readonly specReplicasPath: string;
  /** e.g. `.status.replicas` (an integer of the status). */
  readonly statusReplicasPath: string;
  /** e.g. `.status.selector` (a string of the status). @default none */
  readonly labelSelectorPath?: string;
}

/** What `crdVersion` takes. */
export interface VersionOptions<S extends TSchema<any, any, any>, St extends TSchema<any, any, any> | undefined> {
  /** The version's spec. */
  readonly spec: S;
  /** The version's status; when given, status is a subresource of its own. @default no status */
  readonly status?: St;
  /** Served by the REST API. @default true */
  readonly served?: boolean;
  /** The version objects are stored in; exactly one version has it. @default false */
  readonly storage?: boolean;
  /** @default false */
  readonly deprecated?: boolean;
  /** @default the API server's generic warning, when deprecated */
  readonly deprecationWarning?: string;
  /** Additional printer columns. @default none */
  readonly printerColumns?: readonly PrinterColumn[];
  /** The scale subresource. @default none */
  readonly scale?: ScaleSubresource;
  /** Fields usable in field selectors, such as `.spec.nodeName`. @default none */
  readonly selectableFields?: readonly string[];
  /** Description of the whole object. @default none */
  readonly description?: string;
}

/** One declared version. */
export interface CustomResourceVersion<
  N extends string = string,
  S extends TSchema<any, any, any> = TSchema<any, any, any>,
  St extends TSchema<any, any, any> | undefined = TSchema<any, any, any> | undefined,
  Stor extends boolean = boolean,
> extends VersionOptions<S, St> {
  readonly name: N;
  readonly storage: Stor;
}

/** Declares one version of a custom resource. */
export function crdVersion<
  const N extends string,
  S extends TSchema<any, any, any>,
  St extends TSchema<any, any, any> | undefined = undefined,
  const Stor extends boolean = false,
>(name: N, options: VersionOptions<S, St> & { readonly storage?: Stor }): CustomResourceVersion<N, S, St, Stor> {
  return { ...options, name, storage: (options.storage ?? false) as Stor };
}

export interface CustomResourceOptions<V extends readonly CustomResourceVersion[]> {
  /** API group: a DNS subdomain with at least one dot, e.g. `examples.platform-constructs.io`. */
  readonly group: string;
  /** CamelCase kind, e.g. `Widget`. */
  readonly kind: string;
  /** Lowercase plural used in URLs. @default the kind, lowercased, in English plural (`widgets`, `policies`) */
  readonly plural?: string;
  /** @default the kind, lowercased */
  readonly singular?: string;
  /** @default `${kind}List` */
  readonly listKind?: string;
  readonly scope: 'Namespaced' | 'Cluster';
  /** Short names for kubectl. @default none */
  readonly shortNames?: readonly string[];
  /** Groups for `kubectl get <category>`, such as `all`. @default none */
  readonly categories?: readonly string[];
  /** The versions, in order; exactly one has `storage: true`. */
  readonly versions: V;
}

/** A plain Kubernetes object as emitted in manifests. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

type VersionNamed<D, N> = D extends CustomResourceDeclaration<infer V> ? Extract<V[number], { readonly name: N }> : never;
/** The names of a declaration's versions. */
export type VersionNameOf<D> = D extends CustomResourceDeclaration<infer V> ? V[number]['name'] : never;
/** The name of a declaration's storage version. */
export type StorageVersionOf<D> = D extends CustomResourceDeclaration<infer V> ? Extract<V[number], { readonly storage: true }>['name'] : never;
/** The spec of version `N` (default: the storage version) as stored: defaults applied. */
export type SpecOf<D, N extends VersionNameOf<D> = StorageVersionOf<D>> = Static<VersionNamed<D, N>['spec']>;
/** The spec of version `N` as written. */
export type SpecInputOf<D, N extends VersionNameOf<D> = StorageVersionOf<D>> = StaticInput<VersionNamed<D, N>['spec']>;
/** The status of version `N` (default: the storage version). */
export type StatusOf<D, N extends VersionNameOf<D> = StorageVersionOf<D>> = Static<NonNullable<VersionNamed<D, N>['status']>>;
/** The status of version `N` as written (defaulted fields may be left out). */
export type StatusInputOf<D, N extends VersionNameOf<D> = StorageVersionOf<D>> = StaticInput<NonNullable<VersionNamed<D, N>['status']>>;


/** An object to create or apply, spec as written. */
export type InstanceOf<D, N extends VersionNameOf<D> = StorageVersionOf<D>> = ManifestObject & { spec: SpecInputOf<D, N> };

/** A whole object of version `N` as read from the API server (what a controller's cache holds). */
export interface ObjectOf<D, N extends VersionNameOf<D> = StorageVersionOf<D>> {
  apiVersion: string;
  kind: string;
  /** As the API server returns it: a name is always there. */
  metadata: ObjectMeta & { name: string };
  spec: SpecOf<D, N>;
  status?: StatusOf<D, N>;
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;
const SIMPLE_PATH = /^(\.[A-Za-z_][A-Za-z0-9_-]*)+$/;
const REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];
const SCALARS = ['string', 'integer', 'number', 'boolean'];

function isDns1035Label(s: string): boolean {
  return s.length <= 63 && DNS1035_LABEL.test(s);
}

/** English plural of a lowercased kind: widget → widgets, policy → policies, class → classes. */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** Resolves a simple `.a.b` path from a schema node; undefined when a segment is not declared. */
function resolve(schema: JSONSchemaProps, path: string): JSONSchemaProps | undefined {
  let s: JSONSchemaProps | undefined = schema;
  for (const seg of path.split('.').slice(1)) {
    if (!s) return undefined;
    s = s.properties?.[seg] ?? s.additionalProperties;
  }
  return s;
}

/** Which declaration a custom resource belongs to, and every version's types. */
export class CustomResourceDeclaration<V extends readonly CustomResourceVersion[] = readonly CustomResourceVersion[]> {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly listKind: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly versions: V;
  /** `<plural>.<group>`: the CRD's name. */
  readonly name: string;
  /** The version objects are stored in. */
  readonly storageVersion: string;

  constructor(options: CustomResourceOptions<V>) {
    this.group = options.group;
    this.kind = options.kind;
    this.plural = options.plural ?? pluralOf(options.kind);
    this.singular = options.singular ?? options.kind.toLowerCase();
    this.listKind = options.listKind ?? `${options.kind}List`;
    this.scope = options.scope;
    this.shortNames = [...(options.shortNames ?? [])];
    this.categories = [...(options.categories ?? [])];
    this.versions = options.versions;
    this.name = `${this.plural}.${this.group}`;
    this.storageVersion = this.check();
  }

  /** `<group>/<version>` of a version (default: the storage version). */
  apiVersion(version: VersionNameOf<this> = this.storageVersion as VersionNameOf<this>): string {
    return `${this.group}/${this.versionNamed(version).name}`;
  }

  private versionNamed(name: string): CustomResourceVersion {
    const v = this.versions.find((x) => x.name === name);
    if (!v) throw new ValidationError(`CustomResourceDefinition ${this.name}`, 'version', `no version "${name}" (have ${this.versions.map((x) => x.name).join(', ')})`, name);
    return v;
  }

  /**
   * Checks a spec of version `version` (default: the storage version) against its schema and
   * returns it with defaults applied. CEL rules are not run. Throws a ValidationError whose field
   * is the JSON pointer of the bad field, e.g. `/spec/replicas`.
   */
  validate<N extends VersionNameOf<this> = StorageVersionOf<this>>(
    spec: unknown,
    opts: { readonly source?: string; readonly version?: N } = {},
  ): SpecOf<this, N> {
    const v = this.versionNamed(opts.version ?? this.storageVersion);
    return checkValue(v.spec.schema, spec, { source: opts.source ?? `${this.kind} (${this.group}/${v.name})`, base: '/spec' });
  }

  /**
   * A whole object to create or apply (e.g. by a controller that makes custom resources from a
   * template): the spec is checked as by `validate` and written as given, the API server defaults it.
   */
  instance<N extends VersionNameOf<this> = StorageVersionOf<this>>(
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown },
    spec: SpecInputOf<this, N>,
    opts: { readonly source?: string; readonly version?: N } = {},
  ): InstanceOf<this, N> {
    const version = opts.version ?? (this.storageVersion as N);
    const source = opts.source ?? `${this.kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`;
    if (this.scope === 'Cluster' && metadata.namespace !== undefined) {
      throw new ValidationError(source, '/metadata/namespace', `${this.kind} is cluster-scoped and takes no namespace`, metadata.namespace);
    }
    this.validate(spec, { source, version });
    return JSON.parse(JSON.stringify({ apiVersion: this.apiVersion(version), kind: this.kind, metadata, spec })) as InstanceOf<this, N>;
  }

  /** Like `validate`, for a status (e.g. in a controller before it writes `/status`). */
  validateStatus<N extends VersionNameOf<this> = StorageVersionOf<this>>(
    status: unknown,
    opts: { readonly source?: string; readonly version?: N } = {},
  ): StatusOf<this, N> {
    const v = this.versionNamed(opts.version ?? this.storageVersion);
    if (!v.status) throw new ValidationError(opts.source ?? this.kind, '/status', `version ${v.name} declares no status`);
    return checkValue(v.status.schema, status, { source: opts.source ?? `${this.kind} (${this.group}/${v.name})`, base: '/status' });
  }

  /** The root schema of a version: apiVersion, kind, metadata, spec and (if declared) status. */
  openApiSchema(v: CustomResourceVersion): JSONSchemaProps {
    const spec = v.spec.schema;
    const specRequired = (spec.required?.length ?? 0) > 0;
    const properties: Record<string, JSONSchemaProps> = {
      apiVersion: {
        type: 'string',
        description: 'APIVersion defines the versioned schema of this representation of an object.',
      },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { type: 'object' },
      // A spec with nothing required defaults to {} so that its own defaults apply.
      spec: specRequired || spec.default !== undefined ? spec : { ...spec, default: {} },
    };
    if (v.status) properties.status = v.status.schema;
    return {
      type: 'object',
      ...(v.description ? { description: v.description } : {}),
      properties,
      ...(specRequired ? { required: ['spec'] } : {}),
    };
  }

  /** The `apiextensions.k8s.io/v1` CustomResourceDefinition. */
  manifest(metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): ManifestObject {
    const versions = this.versions.map((v) => {
      const subresources: Record<string, unknown> = {};
      if (v.status) subresources.status = {};
      if (v.scale) subresources.scale = { ...v.scale };
      return {
        name: v.name,
        served: v.served ?? true,
        storage: v.storage,
        ...(v.deprecated ? { deprecated: true } : {}),
        ...(v.deprecationWarning ? { deprecationWarning: v.deprecationWarning } : {}),
        schema: { openAPIV3Schema: this.openApiSchema(v) },
        ...(Object.keys(subresources).length > 0 ? { subresources } : {}),
        ...(v.printerColumns?.length ? { additionalPrinterColumns: v.printerColumns.map((c) => ({ ...c })) } : {}),
        ...(v.selectableFields?.length ? { selectableFields: v.selectableFields.map((jsonPath) => ({ jsonPath })) } : {}),
      };
    });
    return JSON.parse(
      JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: this.name, ...metadata },
        spec: {
          group: this.group,
          names: {
            kind: this.kind,
            listKind: this.listKind,
            plural: this.plural,
            singular: this.singular,
            ...(this.shortNames.length ? { shortNames: [...this.shortNames] } : {}),
            ...(this.categories.length ? { categories: [...this.categories] } : {}),
          },
          scope: this.scope,
          versions,
        },
      }),
    ) as ManifestObject;
  }

  /** Checks the declaration as the API server would on create, and returns the storage version's name. */
  private check(): string {
    const source = `CustomResourceDefinition ${this.name}`;
    const fail = (field: string, reason: string, value?: unknown): never => {
      throw new ValidationError(source, field, reason, value);
    };
    if (!(isDns1123Subdomain(this.group) && this.group.includes('.'))) {
      fail('spec.group', `must be a DNS subdomain with at least one dot, got "${this.group}"`, this.group);
    }
    if (!(this.kind.length <= 63 && KIND.test(this.kind))) fail('spec.names.kind', `must be CamelCase letters and digits starting with an upper-case letter, got "${this.kind}"`, this.kind);
    if (!KIND.test(this.listKind) || this.listKind === this.kind) fail('spec.names.listKind', `must be a CamelCase kind other than the kind, got "${this.listKind}"`, this.listKind);
    if (!isDns1035Label(this.plural)) fail('spec.names.plural', `must be a lowercase DNS-1035 label, got "${this.plural}"`, this.plural);
    if (!isDns1035Label(this.singular)) fail('spec.names.singular', `must be a lowercase DNS-1035 label, got "${this.singular}"`, this.singular);
    if (this.name.length > 253) fail('metadata.name', `"${this.name}" is longer than 253 characters`, this.name);
    this.shortNames.forEach((s, i) => isDns1035Label(s) || fail(`spec.names.shortNames[${i}]`, `must be a lowercase DNS-1035 label, got "${s}"`, s));
    this.categories.forEach((s, i) => isDns1035Label(s) || fail(`spec.names.categories[${i}]`, `must be a lowercase DNS-1035 label, got "${s}"`, s));
    if (this.scope !== 'Namespaced' && this.scope !== 'Cluster') fail('spec.scope', `must be Namespaced or Cluster, got "${String(this.scope)}"`, this.scope);
    if (this.versions.length === 0) fail('spec.versions', 'must declare at least one version');
    const seen = new Set<string>();
    this.versions.forEach((v, i) => {
      if (!isDns1035Label(v.name)) fail(`spec.versions[${i}].name`, `must be a DNS-1035 label such as v1 or v1beta2, got "${v.name}"`, v.name);
      if (seen.has(v.name)) fail(`spec.versions[${i}].name`, `version "${v.name}" is declared twice`, v.name);
      seen.add(v.name);
    });
    const storage = this.versions.filter((v) => v.storage);
    if (storage.length !== 1) {
      fail('spec.versions', `exactly one version must be the storage version, got ${storage.length}${storage.length ? ` (${storage.map((v) => v.name).join(', ')})` : ''}`);
    }
    if (!this.versions.some((v) => v.served !== false)) fail('spec.versions', 'at least one version must be served');
    this.versions.forEach((v, i) => this.checkVersion(v, `spec.versions[${i}]`, fail));
    return storage[0].name;
  }

  private checkVersion(v: CustomResourceVersion, at: string, fail: (field: string, reason: string, value?: unknown) => never): void {
    const root = this.openApiSchema(v);
    const schemaAt = `${at}.schema.openAPIV3Schema`;
    const defaults: DefaultAt[] = [];
    for (const part of ['spec', 'status'] as const) {
      const s = root.properties?.[part];
      if (!s) continue;
      if (s.type !== 'object') fail(`${schemaAt}.properties[${part}].type`, `${part} must be an object, got ${s.type ?? 'no type'}`);
      checkNode(s, `${schemaAt}.properties[${part}]`, fail, defaults);
    }
    checkDefaults(defaults, fail, this.name);
    const names = new Set<string>();
    (v.printerColumns ?? []).forEach((c, i) => {
      const f = `${at}.additionalPrinterColumns[${i}]`;
      if (!c.name) fail(`${f}.name`, 'must not be empty');
      if (names.has(c.name)) fail(`${f}.name`, `column "${c.name}" is declared twice`, c.name);
      names.add(c.name);
      if (!['integer', 'number', 'string', 'boolean', 'date'].includes(c.type)) fail(`${f}.type`, `must be integer, number, string, boolean or date, got "${c.type}"`, c.type);
      if (!c.jsonPath.startsWith('.')) fail(`${f}.jsonPath`, `must start with ".", got "${c.jsonPath}"`, c.jsonPath);
      if (SIMPLE_PATH.test(c.jsonPath) && !c.jsonPath.startsWith('.metadata.') && !resolve(root, c.jsonPath)) {
        fail(`${f}.jsonPath`, `"${c.jsonPath}" is not a field of the schema`, c.jsonPath);
      }
      if (c.priority !== undefined && (!Number.isInteger(c.priority) || c.priority < 0)) fail(`${f}.priority`, `must be a non-negative integer, got ${c.priority}`, c.priority);
    });
    if (v.scale) {
      const f = `${at}.subresources.scale`;
      const want = (path: string | undefined, field: string, prefix: string, type: string) => {
        if (path === undefined) return;
        if (!path.startsWith(prefix) || !SIMPLE_PATH.test(path)) fail(`${f}.${field}`, `must be a simple path under ${prefix}, got "${path}"`, path);
        const s = resolve(root, path);
        if (!s || s.type !== type) fail(`${f}.${field}`, `"${path}" must be ${type === 'integer' ? 'an integer' : 'a string'} field of the schema`, path);
      };
      want(v.scale.specReplicasPath, 'specReplicasPath', '.spec.', 'integer');
      if (!v.status) fail(`${f}.statusReplicasPath`, 'the scale subresource needs a declared status');
      want(v.scale.statusReplicasPath, 'statusReplicasPath', '.status.', 'integer');
      want(v.scale.labelSelectorPath, 'labelSelectorPath', '.status.', 'string');
    }
    (v.selectableFields ?? []).forEach((p, i) => {
      const f = `${at}.selectableFields[${i}].jsonPath`;
      const s = SIMPLE_PATH.test(p) ? resolve(root, p) : undefined;
      if (!s || !SCALARS.includes(s.type ?? '')) fail(f, `"${p}" must be a simple path to a string, integer, number or boolean field`, p);
    });
    if ((v.selectableFields?.length ?? 0) > 8) fail(`${at}.selectableFields`, 'at most 8 selectable fields');
  }
}

/** A schema node with a default, and where it is declared. */
interface DefaultAt { readonly schema: JSONSchemaProps; readonly at: string }

/**
 * Checks one schema node and its children: CEL rules well formed, list keys declared; the nodes
 * with a default are collected in `defaults`, children before their parent.
 */
function checkNode(s: JSONSchemaProps, at: string, fail: (field: string, reason: string, value?: unknown) => never, defaults: DefaultAt[]): void {
  const structural = s.type !== undefined || s['x-kubernetes-int-or-string'] || s['x-kubernetes-preserve-unknown-fields'];
  if (!structural) fail(`${at}.type`, 'must have a type (structural schema)');
  if (s.pattern !== undefined) {
    try {
      new RegExp(s.pattern, 'u');
    } catch (e) {
      fail(`${at}.pattern`, `is not a valid regular expression: ${(e as Error).message}`, s.pattern);
    }
  }
  (s['x-kubernetes-validations'] ?? []).forEach((r, i) => {
    const f = `${at}.x-kubernetes-validations[${i}]`;
    if (!r.rule || !r.rule.trim()) fail(`${f}.rule`, 'must not be empty');
    if (r.message !== undefined && (!r.message.trim() || /[\r\n]/.test(r.message))) fail(`${f}.message`, 'must be non-empty and on one line', r.message);
    if (r.reason !== undefined && !REASONS.includes(r.reason)) fail(`${f}.reason`, `must be one of ${REASONS.join(', ')}, got "${r.reason}"`, r.reason);
    if (r.fieldPath !== undefined) {
      if (!SIMPLE_PATH.test(r.fieldPath)) fail(`${f}.fieldPath`, `must be a simple path such as ".field.sub", got "${r.fieldPath}"`, r.fieldPath);
      if (!resolve(s, r.fieldPath)) fail(`${f}.fieldPath`, `"${r.fieldPath}" is not a field of the schema`, r.fieldPath);
    }
  });
  if (s.type === 'array') {
    const items = s.items;
    if (!items) fail(`${at}.items`, 'an array must declare its items');
    const listType = s['x-kubernetes-list-type'];
    const keys = s['x-kubernetes-list-map-keys'];
    if (listType === 'map') {
      if (items!.type !== 'object' || !keys?.length) fail(`${at}.x-kubernetes-list-map-keys`, 'a map list needs object items and at least one key');
      keys!.forEach((k) => {
        const p = items!.properties?.[k];
        if (!p || !SCALARS.includes(p.type ?? '')) fail(`${at}.x-kubernetes-list-map-keys`, `key "${k}" must be a scalar property of the items`, k);
        if (!items!.required?.includes(k) && p!.default === undefined) fail(`${at}.x-kubernetes-list-map-keys`, `key "${k}" must be required or defaulted`, k);
      });
    } else if (keys) {
      fail(`${at}.x-kubernetes-list-map-keys`, 'only a list of type map has keys');
    }
    if (listType === 'set' && !SCALARS.includes(items!.type ?? '')) fail(`${at}.x-kubernetes-list-type`, 'a set holds scalars only');
    checkNode(items!, `${at}.items`, fail, defaults);
  }
  for (const [k, p] of Object.entries(s.properties ?? {})) checkNode(p, `${at}.properties[${k}]`, fail, defaults);
  if (s.additionalProperties) checkNode(s.additionalProperties, `${at}.additionalProperties`, fail, defaults);
  // After the children: a bad nested default is reported where it is declared.
  if (s.default !== undefined) defaults.push({ schema: s, at });
}

/**
 * An empty object or list as the default of a node that asks nothing of its entries: valid
 * whatever its children are (their own defaults are checked where they are declared). Spared a
 * compilation of the whole subtree, the largest cost of declaring a custom resource.
 */
function triviallyValid(s: JSONSchemaProps): boolean {
  const d = s.default;
  if (s.type === 'object' && isPlainObject(d) && Object.keys(d).length === 0) {
    return !s.required?.length && !s.minProperties && !s['x-kubernetes-embedded-resource'] && !s.enum;
  }
  return s.type === 'array' && Array.isArray(d) && d.length === 0 && !s.minItems && !s.enum;
}

/** Each default valid against its own node, children first: a bad nested default is named where it is declared. */
function checkDefaults(defaults: readonly DefaultAt[], fail: (field: string, reason: string, value?: unknown) => never, crd: string): void {
  for (const { schema, at } of defaults) {
    if (triviallyValid(schema) || scalarSurelyValid(schema, schema.default)) continue;
    try {
      checkValue(schema, schema.default, { source: crd, base: '' });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      fail(`${at}.default`, `the default ${JSON.stringify(schema.default)} is not valid against its own schema: ${e.field}: ${e.reason}`, schema.default);
    }
  }
}

/** Declares a custom resource (checked at once: errors are ValidationErrors naming the CRD field). */
export function defineCustomResource<const V extends readonly CustomResourceVersion[]>(options: CustomResourceOptions<V>): CustomResourceDeclaration<V> {
  return new CustomResourceDeclaration(options);
}
