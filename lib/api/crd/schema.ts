import type { KubernetesObject } from '../../k8s/object.js';

/**
 * A small typed builder for the structural schemas of CustomResourceDefinitions.
 *
 * Each builder returns a node that carries, at the type level, what a value of that node looks
 * like as the API server stores it (`Static<S>`: defaults applied) and as a user writes it
 * (`StaticInput<S>`: defaulted fields may be left out), and, at runtime, the
 * `apiextensions.k8s.io/v1` JSONSchemaProps to emit. Every node is typed (structural);
 * `x-kubernetes-preserve-unknown-fields` appears only on the nodes built by `unstructured`,
 * `embedded` and `any`, or on an object that asks for it.
 *
 *   const Spec = Schema.object({
 *     replicas: Schema.integer({ minimum: 0, default: 1 }),
 *     mode: Schema.enum(['Fast', 'Slow'], { default: 'Fast' }),
 *     owner: Schema.optional(Schema.string()),
 *   });
 *   type Spec = Static<typeof Spec>;           // { replicas: number; mode: 'Fast' | 'Slow'; owner?: string }
 *   type SpecIn = StaticInput<typeof Spec>;    // { replicas?: number; mode?: 'Fast' | 'Slow'; owner?: string }
 */

/** How a property appears in its parent object. */
export type Modifier = 'required' | 'optional' | 'defaulted';

/** A CEL rule (`x-kubernetes-validations`), run by the API server only. */
export interface ValidationRule {
  /** The CEL expression; `self` is the value of the node the rule is declared on. */
  readonly rule: string;
  /** The message returned when the rule fails (no line breaks). @default the API server's generic message */
  readonly message?: string;
  /** A CEL expression that evaluates to the message. @default none */
  readonly messageExpression?: string;
  /** The error reason the API server reports. @default 'FieldValueInvalid' */
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  /** A path relative to the node, such as `.minReplicas`, that the error names. @default the node itself */
  readonly fieldPath?: string;
  /** Run a transition rule also on create (where `oldSelf` is absent). @default false */
  readonly optionalOldSelf?: boolean;
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this builder emits. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  default?: unknown;
  nullable?: boolean;
  enum?: readonly unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  items?: JSONSchemaProps;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  minProperties?: number;
  maxProperties?: number;
  anyOf?: JSONSchemaProps[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

declare const STATIC: unique symbol;
declare const INPUT: unique symbol;

/**
 * A schema node. `T` is the stored type, `I` the written type, `M` how the node sits in its parent.
 * The two symbol-keyed members exist only in the type system.
 */
export interface TSchema<T = unknown, I = T, M extends Modifier = Modifier> {
  readonly [STATIC]: T;
  readonly [INPUT]: I;
  readonly modifier: M;
  /** The JSONSchemaProps of this node, as emitted in the CRD. */
  readonly schema: JSONSchemaProps;
}

/** The type of a value as the API server stores it: defaulted fields are present. */
export type Static<S> = S extends TSchema<infer T, any, any> ? T : never;
/** The type of a value as a user writes it: defaulted and optional fields may be left out. */
export type StaticInput<S> = S extends TSchema<any, infer I, any> ? I : never;

type AnySchema = TSchema<any, any, Modifier>;
/** Properties of an object node. */
export type Properties = { readonly [key: string]: AnySchema };

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type KeysWith<P extends Properties, M extends Modifier> = {
  [K in keyof P]: P[K] extends TSchema<any, any, infer X> ? ([X] extends [M] ? K : never) : never;
}[keyof P];

/** An object node, which keeps its property nodes so that other objects can be built from it. */
export interface TObject<P extends Properties, T = ObjectStatic<P>, I = ObjectInput<P>, M extends Modifier = Modifier> extends TSchema<T, I, M> {
  readonly properties: P;
}

/** The stored type of an object: only `optional` properties may be absent. */
export type ObjectStatic<P extends Properties> = Simplify<
  { [K in Exclude<keyof P, KeysWith<P, 'optional'>>]: Static<P[K]> } & { [K in KeysWith<P, 'optional'>]?: Static<P[K]> }
>;
/** The written type of an object: `optional` and `defaulted` properties may be absent. */
export type ObjectInput<P extends Properties> = Simplify<
  { [K in KeysWith<P, 'required'>]: StaticInput<P[K]> } & {
    [K in Exclude<keyof P, KeysWith<P, 'required'>>]?: StaticInput<P[K]>;
  }
>;

/** Options every node takes. */
export interface CommonOptions {
  /** Shown by `kubectl explain`. @default none */
  readonly description?: string;
  /** CEL rules checked by the API server on this node. @default none */
  readonly validations?: readonly ValidationRule[];
}

/** Options of nodes that may have a default and be null. */
export interface ValueOptions<T> extends CommonOptions {
  /** Set by the API server when the field is absent (the node is then optional when written). @default none */
  readonly default?: T;
  /** `null` is a value of its own instead of "absent". @default false */
  readonly nullable?: boolean;
}

type ModOf<O> = O extends { readonly default: unknown } ? 'defaulted' : 'required';
type NullOf<O, T> = O extends { readonly nullable: true } ? T | null : T;
/** An object that keeps undeclared fields (`preserveUnknownFields: true`) takes and holds any other field too. */
type OpenOf<O, T> = O extends { readonly preserveUnknownFields: true } ? T & { [field: string]: unknown } : T;
type Node<O, T> = TSchema<NullOf<O, T>, NullOf<O, T>, ModOf<O>>;

/** String formats understood by both the API server and `validate` (JS approximations of Go's strfmt). */
export type StringFormat =
  | 'date-time'
  | 'date'
  | 'uri'
  | 'email'
  | 'hostname'
  | 'ipv4'
  | 'ipv6'
  | 'cidr'
  | 'mac'
  | 'uuid'
  | 'byte'
  | 'password';

export interface StringOptions extends ValueOptions<string> {
  readonly format?: StringFormat;
  /** An ECMAScript and RE2 compatible regular expression (no lookaround, no backreferences). */
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
}

export interface NumberOptions extends ValueOptions<number> {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly multipleOf?: number;
}

export interface IntegerOptions extends NumberOptions {
  /** @default none */
  readonly format?: 'int32' | 'int64';
}

export interface ArrayOptions<T> extends ValueOptions<T[]> {
  readonly minItems?: number;
  readonly maxItems?: number;
  /**
   * How server-side apply merges the list: `atomic` (replaced whole), `set` (scalars, unique),
   * `map` (objects keyed by `mapKeys`). @default none (atomic)
   */
  readonly listType?: 'atomic' | 'set' | 'map';
  /** The keys of a `map` list: required (or defaulted) scalar properties of the items. */
  readonly mapKeys?: readonly string[];
}

export interface ObjectOptions<T> extends ValueOptions<T> {
  /** Keep fields the schema does not declare instead of pruning them. @default false */
  readonly preserveUnknownFields?: boolean;
  /** How server-side apply merges the object. @default none (granular) */
  readonly mapType?: 'atomic' | 'granular';
}

export interface MapOptions<T> extends ValueOptions<T> {
  readonly minProperties?: number;
  readonly maxProperties?: number;
  /** How server-side apply merges the map. @default none (granular) */
  readonly mapType?: 'atomic' | 'granular';
}

/** An object that is a whole Kubernetes resource (`x-kubernetes-embedded-resource`). */
export type EmbeddedResource = KubernetesObject;

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** A Go duration without sign: `15s`, `1m30s`, `250ms`, `1h`. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';
/** A resource quantity as Kubernetes writes its own schemas: `100m`, `1.5`, `2Gi`, `1e3`. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

function node<S extends AnySchema>(schema: JSONSchemaProps, modifier: Modifier = 'required'): S {
  return { modifier, schema } as unknown as S;
}

function strip<O extends object>(o: O | undefined, drop: readonly string[]): JSONSchemaProps {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o ?? {})) {
    if (v === undefined || drop.includes(k)) continue;
    if (k === 'validations') out['x-kubernetes-validations'] = (v as ValidationRule[]).map((r) => ({ ...r }));
    else if (k === 'default') out.default = structuredCloneJson(v);
    else out[k] = v;
  }
  return out as JSONSchemaProps;
}

function structuredCloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function modifierOf(o: { readonly default?: unknown } | undefined): Modifier {
  return o && o.default !== undefined ? 'defaulted' : 'required';
}

function scalar<R extends AnySchema>(type: JSONSchemaProps['type'], o: ValueOptions<any> | undefined, extra: JSONSchemaProps = {}): R {
  return node<R>({ type, ...extra, ...strip(o, []) }, modifierOf(o));
}

const CONDITION = {
  type: 'object',
  description: 'Condition contains details for one aspect of the current state of this API Resource.',
  required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'],
  properties: {
    lastTransitionTime: { type: 'string', format: 'date-time', description: 'When the condition last changed status.' },
    message: { type: 'string', maxLength: 32768, description: 'A human readable message about the transition.' },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The .metadata.generation the condition was set for.' },
    reason: {
      type: 'string',
      maxLength: 1024,
      minLength: 1,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      description: 'A CamelCase reason for the last transition.',
    },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'], description: 'Status of the condition.' },
    type: {
      type: 'string',
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      description: 'Type of condition in CamelCase or in foo.example.com/CamelCase.',
    },
  },
} as const satisfies JSONSchemaProps;

/** The builders. */
export const Schema = {
  /** A string. */
  string<const O extends StringOptions>(o?: O): Node<O, string> {
    return scalar('string', o);
  },

  /** One of the given strings. */
  enum<const V extends readonly [string, ...string[]], const O extends ValueOptions<V[number]> = {}>(
    values: V,
    o?: O,
  ): Node<O, V[number]> {
    return scalar('string', o, { enum: [...values] });
  },

  /** An integer (a JS number; `validate` rejects fractions). */
  integer<const O extends IntegerOptions>(o?: O): Node<O, number> {
    return scalar('integer', o);
  },

  /** A number. */
  number<const O extends NumberOptions & { readonly format?: 'float' | 'double' }>(o?: O): Node<O, number> {
    return scalar('number', o);
  },

  boolean<const O extends ValueOptions<boolean>>(o?: O): Node<O, boolean> {
    return scalar('boolean', o);
  },

  /** A Go duration string (`15s`, `1m30s`), checked by pattern. */
  duration<const O extends ValueOptions<string>>(o?: O): Node<O, string> {
    return scalar('string', o, { pattern: DURATION_PATTERN });
  },

  /** An RFC 3339 timestamp string (`format: date-time`). */
  dateTime<const O extends ValueOptions<string>>(o?: O): Node<O, string> {
    return scalar('string', o, { format: 'date-time' });
  },

  /** An integer or a string (`x-kubernetes-int-or-string`), such as a port name or a percentage. */
  intOrString<const O extends ValueOptions<number | string> & { readonly pattern?: string }>(o?: O): Node<O, number | string> {
    return node(
      { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], ...strip(o, []) },
      modifierOf(o),
    );
  },

  /** A resource quantity (`500m`, `2Gi`, `1`): int-or-string with Kubernetes' quantity pattern. */
  quantity<const O extends ValueOptions<number | string>>(o?: O): Node<O, number | string> {
    return node(
      {
        'x-kubernetes-int-or-string': true,
        anyOf: [{ type: 'integer' }, { type: 'string' }],
        pattern: QUANTITY_PATTERN,
        ...strip(o, []),
      },
      modifierOf(o),
    );
  },

  /**
   * A resource quantity written as a string only (`"500m"`, `"2"`), with Kubernetes' quantity
   * pattern and a `maxLength` (default 64). Use it where CEL rules read the value (e.g.
   * `quantity(self.min).compareTo(quantity(self.max)) <= 0`): the API server estimates the
   * cost of a rule from the declared bounds, and an int-or-string has none, so a rule over
   * `quantity()` nodes is refused as too expensive.
   */
  quantityString<const O extends StringOptions>(o?: O): Node<O, string> {
    return scalar('string', o, { pattern: QUANTITY_PATTERN, maxLength: 64 });
  },

  /** A list of `items`. */
  array<const I extends AnySchema, const O extends ArrayOptions<StaticInput<I>>>(
    items: I,
    o?: O,
  ): TSchema<NullOf<O, Static<I>[]>, NullOf<O, StaticInput<I>[]>, ModOf<O>> {
    const s = strip(o, ['listType', 'mapKeys']);
    return node(
      {
        type: 'array',
        items: items.schema,
        ...(o?.listType ? { 'x-kubernetes-list-type': o.listType } : {}),
        ...(o?.mapKeys ? { 'x-kubernetes-list-map-keys': [...o.mapKeys] } : {}),
        ...s,
      },
      modifierOf(o),
    );
  },

  /** An object with string keys and values of one schema (`additionalProperties`), e.g. labels. */
  map<const V extends AnySchema, const O extends MapOptions<Record<string, StaticInput<V>>>>(
    values: V,
    o?: O,
  ): TSchema<NullOf<O, Record<string, Static<V>>>, NullOf<O, Record<string, StaticInput<V>>>, ModOf<O>> {
    const s = strip(o, ['mapType']);
    return node(
      { type: 'object', additionalProperties: values.schema, ...(o?.mapType ? { 'x-kubernetes-map-type': o.mapType } : {}), ...s },
      modifierOf(o),
    );
  },

  /** An object with known properties; each is required unless `optional` or defaulted. */
  object<const P extends Properties, const O extends ObjectOptions<ObjectInput<P>>>(
    properties: P,
    o?: O,
  ): TObject<P, NullOf<O, OpenOf<O, ObjectStatic<P>>>, NullOf<O, OpenOf<O, ObjectInput<P>>>, ModOf<O>> {
    const props: Record<string, JSONSchemaProps> = {};
    const required: string[] = [];
    for (const [k, v] of Object.entries(properties)) {
      props[k] = v.schema;
      if (v.modifier === 'required') required.push(k);
    }
    const s = strip(o, ['preserveUnknownFields', 'mapType']);
    const n = node<AnySchema>(
      {
        type: 'object',
        properties: props,
        ...(required.length > 0 ? { required } : {}),
        ...(o?.preserveUnknownFields ? { 'x-kubernetes-preserve-unknown-fields': true } : {}),
        ...(o?.mapType ? { 'x-kubernetes-map-type': o.mapType } : {}),
        ...s,
      },
      modifierOf(o),
    );
    return { ...n, properties } as never;
  },

  /**
   * A new object with the properties of `base` but `keys`, e.g. a template of a spec without the
   * field the controller fills in. The options (description, CEL rules, default) are not carried
   * over, since they may name the removed fields: give them again in `o`.
   */
  omit<const P extends Properties, const K extends keyof P & string, const O extends ObjectOptions<ObjectInput<Omit<P, K>>>>(
    base: TObject<P, any, any, any>,
    keys: readonly K[],
    o?: O,
  ): TObject<Omit<P, K>, NullOf<O, ObjectStatic<Omit<P, K>>>, NullOf<O, ObjectInput<Omit<P, K>>>, ModOf<O>> {
    const rest: Record<string, AnySchema> = {};
    for (const [k, v] of Object.entries(base.properties)) if (!(keys as readonly string[]).includes(k)) rest[k] = v;
    return Schema.object(rest, o as ObjectOptions<any> | undefined) as never;
  },

  /** A new object with the properties of `base` and `more` (which win on a clash). Options as in `omit`. */
  extend<const P extends Properties, const Q extends Properties, const O extends ObjectOptions<ObjectInput<Omit<P, keyof Q> & Q>>>(
    base: TObject<P, any, any, any>,
    more: Q,
    o?: O,
  ): TObject<Omit<P, keyof Q> & Q, NullOf<O, ObjectStatic<Omit<P, keyof Q> & Q>>, NullOf<O, ObjectInput<Omit<P, keyof Q> & Q>>, ModOf<O>> {
    return Schema.object({ ...base.properties, ...more } as Properties, o as ObjectOptions<any> | undefined) as never;
  },

  /**
   * An object whose fields the API server keeps without checking them (`type: object`,
   * `x-kubernetes-preserve-unknown-fields`), e.g. a Deployment spec or a pod template. `T` is the
   * TypeScript type the code uses for it.
   */
  unstructured<T = Record<string, unknown>>(o?: CommonOptions): TSchema<T, T, 'required'> {
    return node({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...strip(o, []) });
  },

  /**
   * A whole Kubernetes object (`x-kubernetes-embedded-resource`): the API server requires its
   * `apiVersion` and `kind` and checks its `metadata`; other fields are kept as they are.
   */
  embedded<T extends EmbeddedResource = EmbeddedResource>(o?: CommonOptions): TSchema<T, T, 'required'> {
    return node({
      type: 'object',
      'x-kubernetes-embedded-resource': true,
      'x-kubernetes-preserve-unknown-fields': true,
      ...strip(o, []),
    });
  },

  /** Any JSON value (no `type`, `x-kubernetes-preserve-unknown-fields`). */
  any<T = unknown>(o?: CommonOptions): TSchema<T, T, 'required'> {
    return node({ 'x-kubernetes-preserve-unknown-fields': true, ...strip(o, []) });
  },

  /** `status.conditions` as Kubernetes APIs write them: metav1.Condition items keyed by `type`. */
  conditions(o?: CommonOptions & { readonly maxItems?: number }): TSchema<Condition[], Condition[], 'optional'> {
    return node(
      {
        type: 'array',
        description: 'The latest observations of the object\'s state.',
        items: structuredCloneJson(CONDITION) as JSONSchemaProps,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
        ...strip(o, []),
      },
      'optional',
    );
  },

  /** A metav1.LabelSelector. */
  labelSelector(o?: CommonOptions): TSchema<LabelSelector, LabelSelector, 'required'> {
    return node({
      type: 'object',
      'x-kubernetes-map-type': 'atomic',
      properties: {
        matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
        matchExpressions: {
          type: 'array',
          'x-kubernetes-list-type': 'atomic',
          items: {
            type: 'object',
            required: ['key', 'operator'],
            properties: {
              key: { type: 'string' },
              operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
              values: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
            },
          },
        },
      },
      ...strip(o, []),
    });
  },

  /** The same node, which its parent object may leave out (no default). */
  optional<T, I>(s: TSchema<T, I, Modifier>): TSchema<T, I, 'optional'> {
    return node(s.schema, 'optional');
  },
};
