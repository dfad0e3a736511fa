/**
 * WAO's custom resources, `wao.bitmedia.co.jp/v1beta1` NodeConfig and NodeConfigTemplate, declared
 * once: the CRDs, the TypeScript types of spec and status, and the synth-time checks all come
 * from here. The API is the original's (wao-core), so that its YAML applies unchanged, with what
 * it lacked: a structural schema, the endpoint types as enums, durations checked and defaulted,
 * CEL rules, TLS settings (`insecureSkipVerify`, `caBundle`), a status and printer columns.
 *
 * The CEL rules run on the API server only; `checkNodeConfigSpec` and
 * `checkNodeConfigTemplateSpec` run the schema (ajv) and the same rules in TypeScript, so that a
 * construct refuses at synth time what the API server would refuse.
 */
import { parseDuration } from '../flags.js';
import { crdVersion, defineCustomResource, type ObjectOf, type SpecInputOf, type SpecOf, type StatusOf } from '../crd/definition.js';
import { DURATION_PATTERN, Schema, type JSONSchemaProps, type StaticInput, type ValidationRule } from '../crd/schema.js';
import { pointer } from '../../k8s/json-pointer.js';
import { quote, ValidationError } from '../../k8s/validation.js';
import { checkLabelSelector } from './selector.js';
import { DEFAULT_CA_BUNDLE_KEY, WAO_GROUP, WAO_VERSION } from './names.js';

/** Every endpoint type, each served by one client of the controller. */
export const ENDPOINT_TYPES = ['Redfish', 'DifferentialPressureAPI', 'V2InferenceProtocol', 'Fake'] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

/** The types each term takes (the original's clients). */
export const TERM_TYPES = {
  inletTemp: ['Redfish', 'Fake'],
  deltaP: ['DifferentialPressureAPI', 'Fake'],
  // '': filled in by the endpoint provider (the original's documented use, with basicAuthSecret only).
  powerConsumption: ['V2InferenceProtocol', 'Fake', ''],
  powerConsumptionEndpointProvider: ['Redfish', 'Fake'],
  // Accepted for wao-core's users (its API has them); this controller does not use them.
  responseTime: ['V2InferenceProtocol', 'Fake', ''],
  responseTimeEndpointsProvider: ['Redfish', 'Fake'],
} as const satisfies Record<string, readonly string[]>;
export type TermName = keyof typeof TERM_TYPES;
/** The terms of `metricsCollector`, then those of `predictor`, as the renderer and the checks walk them. */
export const METRICS_TERMS = ['inletTemp', 'deltaP'] as const satisfies readonly TermName[];
export const PREDICTOR_TERMS = [
  'powerConsumption',
  'powerConsumptionEndpointProvider',
  'responseTime',
  'responseTimeEndpointsProvider',
] as const satisfies readonly TermName[];

/** Longest endpoint URL. CEL costs are estimated from bounds, and an Event must stay readable. */
export const ENDPOINT_MAX_LENGTH = 2048;
/** Longest `type` of a template (a Go template that renders to one of the types). */
export const TEMPLATED_TYPE_MAX_LENGTH = 256;
/** Shortest fetch interval: a collector must not spin. */
export const MIN_FETCH_INTERVAL = '1s';
/** Fetch interval when none is given (the original's). */
export const DEFAULT_FETCH_INTERVAL = '15s';

const nameRef = (what: string) =>
  Schema.string({ minLength: 1, maxLength: 253, description: `Name of the ${what} in the object's namespace.` });
const keyRef = (what: string) =>
  Schema.string({
    default: DEFAULT_CA_BUNDLE_KEY,
    minLength: 1,
    maxLength: 253,
    pattern: '^[-._a-zA-Z0-9]+$',
    description: `Key of the ${what} holding the PEM certificates.`,
  });

/** A key of a ConfigMap or a Secret in the object's namespace that holds PEM CA certificates. */
const CaBundleReferenceSchema = Schema.object(
  {
    configMap: Schema.optional(
      Schema.object({ name: nameRef('ConfigMap'), key: keyRef('ConfigMap') }, { mapType: 'atomic', description: 'A ConfigMap key.' }),
    ),
    secret: Schema.optional(Schema.object({ name: nameRef('Secret'), key: keyRef('Secret') }, { mapType: 'atomic', description: 'A Secret key.' })),
  },
  {
    description: 'CA certificates (PEM) that verify the endpoint\'s TLS certificate, instead of the system roots.',
    validations: [{ rule: 'has(self.configMap) != has(self.secret)', message: 'caBundle takes exactly one of configMap and secret' }],
  },
);

/** The CEL rules of a term (mirrored in TypeScript by `termProblems`). */
function termRules(exempt: readonly string[]): ValidationRule[] {
  const types = exempt.map((t) => `'${t}'`).join(', ');
  return [
    {
      rule: `self.type in [${types}] || (has(self.endpoint) && self.endpoint != '')`,
      message: `endpoint is required unless type is ${exempt.map((t) => (t ? t : '""')).join(' or ')}`,
      fieldPath: '.endpoint',
      reason: 'FieldValueRequired',
    },
    {
      rule: '!(has(self.caBundle) && self.insecureSkipVerify)',
      message: 'caBundle and insecureSkipVerify: true exclude each other',
      fieldPath: '.caBundle',
      reason: 'FieldValueForbidden',
    },
    {
      rule: `duration(self.fetchInterval) >= duration('${MIN_FETCH_INTERVAL}')`,
      message: `fetchInterval must be at least ${MIN_FETCH_INTERVAL}`,
      fieldPath: '.fetchInterval',
    },
  ];
}

const TERM_DESCRIPTION = 'Where and how to fetch one value: the client (type), its endpoint, credentials and TLS settings.';

/** The fields of a term but `type`. `templated`: the string fields are Go templates. */
function termFields(templated: boolean) {
  const t = templated ? ' A Go template (see NodeConfigTemplate).' : '';
  return {
    endpoint: Schema.optional(
      Schema.string({ maxLength: ENDPOINT_MAX_LENGTH, description: `The endpoint URL; its meaning depends on type. Not used by Fake.${t}` }),
    ),
    basicAuthSecret: Schema.optional(
      Schema.object(
        // No name pattern: a template that failed to render keeps its text, and the collector's condition reports it.
        { name: Schema.string({ minLength: 1, maxLength: 253, description: `Name of the Secret.${t}` }) },
        {
          mapType: 'atomic',
          description: 'A Secret in the same namespace with keys username and password, for basic authentication.',
        },
      ),
    ),
    fetchInterval: Schema.string({
      default: DEFAULT_FETCH_INTERVAL,
      pattern: DURATION_PATTERN,
      maxLength: 32,
      description: `How often the value is fetched, a Go duration (${DEFAULT_FETCH_INTERVAL}, 1m30s); at least ${MIN_FETCH_INTERVAL}. Not used by predictors.`,
    }),
    insecureSkipVerify: Schema.boolean({ default: false, description: 'Accept any TLS certificate of the endpoint (not recommended).' }),
    caBundle: Schema.optional(CaBundleReferenceSchema),
  };
}

function term<const T extends readonly [string, ...string[]]>(types: T) {
  const exempt = types.filter((t) => t === 'Fake' || t === '');
  return Schema.object(
    {
      type: Schema.enum(types, { description: `The client: ${types.filter(Boolean).join(', ')}${types.includes('') ? ', or "" (set by the endpoint provider)' : ''}.` }),
      ...termFields(false),
    },
    { description: TERM_DESCRIPTION, validations: termRules(exempt) },
  );
}

/** A `type` of a template: one of the types, or a Go template (rendered, then checked, per node). */
export function templatedTypePattern(types: readonly string[]): string {
  return `^(${types.filter(Boolean).join('|')})${types.includes('') ? '?' : ''}$|\\{\\{`;
}

function templatedTerm(types: readonly string[]) {
  const exempt = types.filter((t) => t === 'Fake' || t === '');
  return Schema.object(
    {
      type: Schema.string({
        pattern: templatedTypePattern(types),
        maxLength: TEMPLATED_TYPE_MAX_LENGTH,
        description: `The client: ${types.filter(Boolean).join(', ')}${types.includes('') ? ', ""' : ''}, or a Go template that renders to one.`,
      }),
      ...termFields(true),
    },
    { description: TERM_DESCRIPTION, validations: termRules(exempt) },
  );
}

const InletTempTerm = term(['Redfish', 'Fake']);
const DeltaPTerm = term(['DifferentialPressureAPI', 'Fake']);
const PredictorTerm = term(['V2InferenceProtocol', 'Fake', '']);
const ProviderTerm = term(['Redfish', 'Fake']);

const PREDICTOR_RULES: ValidationRule[] = [
  {
    rule: "!has(self.powerConsumption) || self.powerConsumption.type != '' || has(self.powerConsumptionEndpointProvider)",
    message: 'powerConsumption.type "" needs a powerConsumptionEndpointProvider',
    fieldPath: '.powerConsumption',
  },
];

const MetricsCollectorSchema = Schema.object(
  { inletTemp: InletTempTerm, deltaP: DeltaPTerm },
  { description: 'How the node\'s metrics are collected: inlet temperature (Redfish, Fake) and differential pressure (DifferentialPressureAPI, Fake).' },
);

const PredictorSchema = Schema.object(
  {
    powerConsumption: Schema.optional(PredictorTerm),
    powerConsumptionEndpointProvider: Schema.optional(ProviderTerm),
    responseTime: Schema.optional(PredictorTerm),
    responseTimeEndpointsProvider: Schema.optional(ProviderTerm),
  },
  {
    description:
      'How the node\'s power consumption is predicted: a V2 inference endpoint, or one a provider (Redfish) names. responseTime and responseTimeEndpointsProvider are accepted for wao-core\'s users and not used.',
    validations: PREDICTOR_RULES,
  },
);

const NodeConfigSpecSchema = Schema.object(
  {
    nodeName: Schema.string({ minLength: 1, maxLength: 253, description: 'The node this configuration is for.' }),
    metricsCollector: MetricsCollectorSchema,
    predictor: Schema.optional(PredictorSchema),
  },
  { description: 'How one node\'s metrics are collected and its power consumption predicted.' },
);

/** The last good value of a metric and when it was read. */
const ReadingSchema = Schema.object({
  value: Schema.number({ description: 'The value (°C for inlet temperature, the API\'s unit for differential pressure).' }),
  time: Schema.dateTime({ description: 'When it was read.' }),
});

const NodeConfigStatusSchema = Schema.object({
  observedGeneration: Schema.optional(Schema.integer({ format: 'int64', minimum: 0, description: 'The generation the status is for.' })),
  conditions: Schema.conditions(),
  readings: Schema.optional(
    Schema.object(
      { inletTemp: Schema.optional(ReadingSchema), deltaP: Schema.optional(ReadingSchema) },
      { description: 'The last good reading of each metric (kept when later fetches fail: the conditions say why).' },
    ),
  ),
});

const TemplateMetricsCollector = Schema.object(
  { inletTemp: templatedTerm(TERM_TYPES.inletTemp), deltaP: templatedTerm(TERM_TYPES.deltaP) },
  { description: MetricsCollectorSchema.schema.description },
);
const TemplatePredictor = Schema.object(
  {
    powerConsumption: Schema.optional(templatedTerm(TERM_TYPES.powerConsumption)),
    powerConsumptionEndpointProvider: Schema.optional(templatedTerm(TERM_TYPES.powerConsumptionEndpointProvider)),
    responseTime: Schema.optional(templatedTerm(TERM_TYPES.responseTime)),
    responseTimeEndpointsProvider: Schema.optional(templatedTerm(TERM_TYPES.responseTimeEndpointsProvider)),
  },
  { description: PredictorSchema.schema.description, validations: PREDICTOR_RULES },
);

const TEMPLATE_HELP =
  'type, endpoint and basicAuthSecret.name are Go templates with .Hostname (label kubernetes.io/hostname), .IPv4.Address and .IPv4.Octet1 to .Octet4 (the first InternalIP) and add, sub, mul, div, mod, printf, lower, upper, trim; a field that does not render is kept as written and reported in an Event.';

/** A NodeConfig spec with Go templates, rendered per node. `nodeName` is ignored (wao-core requires it). */
const NodeConfigTemplateBodySchema = Schema.object(
  {
    nodeName: Schema.optional(Schema.string({ maxLength: 253, description: 'Ignored: the controller sets each NodeConfig\'s node (kept for wao-core\'s users).' })),
    metricsCollector: TemplateMetricsCollector,
    predictor: Schema.optional(TemplatePredictor),
  },
  { description: `The NodeConfig spec made for each selected node. ${TEMPLATE_HELP}` },
);

const NodeConfigTemplateSpecSchema = Schema.object(
  {
    nodeSelector: Schema.labelSelector({ description: 'The nodes that get a NodeConfig: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist), ANDed; {} selects every node.' }),
    template: Schema.optional(NodeConfigTemplateBodySchema),
    // The form wao-core's README shows: the template's fields directly in the spec.
    metricsCollector: Schema.optional(Schema.object(TemplateMetricsCollector.properties, { description: 'The template\'s metricsCollector written without template (wao-core\'s documented form).' })),
    predictor: Schema.optional(Schema.object(TemplatePredictor.properties, { description: 'The template\'s predictor written without template (with metricsCollector).', validations: PREDICTOR_RULES })),
  },
  {
    description: `Makes a NodeConfig <template>-<node> for each selected node, owned by the template. ${TEMPLATE_HELP}`,
    validations: [
      { rule: 'has(self.template) != has(self.metricsCollector)', message: 'give either template or metricsCollector (and predictor) directly in spec, not both', fieldPath: '.template', reason: 'FieldValueRequired' },
      { rule: '!has(self.template) || !has(self.predictor)', message: 'predictor goes into template when template is given', fieldPath: '.predictor', reason: 'FieldValueForbidden' },
    ],
  },
);

const NodeConfigTemplateStatusSchema = Schema.object({
  observedGeneration: Schema.optional(Schema.integer({ format: 'int64', minimum: 0, description: 'The generation the status is for.' })),
  conditions: Schema.conditions(),
  selectedNodes: Schema.optional(Schema.integer({ minimum: 0, description: 'How many nodes the selector matches.' })),
  nodeConfigs: Schema.optional(Schema.integer({ minimum: 0, description: 'How many NodeConfigs the template owns.' })),
});

export const NodeConfigDeclaration = defineCustomResource({
  group: WAO_GROUP,
  kind: 'NodeConfig',
  scope: 'Namespaced',
  categories: ['wao'],
  versions: [
    crdVersion(WAO_VERSION, {
      storage: true,
      spec: NodeConfigSpecSchema,
      status: NodeConfigStatusSchema,
      description: 'How WAO collects one node\'s inlet temperature and differential pressure and predicts its power consumption.',
      selectableFields: ['.spec.nodeName'],
      printerColumns: [
        { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
        { name: 'Inlet Temp', type: 'number', jsonPath: '.status.readings.inletTemp.value', description: 'Last inlet temperature (°C).' },
        { name: 'DeltaP', type: 'number', jsonPath: '.status.readings.deltaP.value', description: 'Last differential pressure.' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1 },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    }),
  ],
});

export const NodeConfigTemplateDeclaration = defineCustomResource({
  group: WAO_GROUP,
  kind: 'NodeConfigTemplate',
  scope: 'Namespaced',
  categories: ['wao'],
  versions: [
    crdVersion(WAO_VERSION, {
      storage: true,
      spec: NodeConfigTemplateSpecSchema,
      status: NodeConfigTemplateStatusSchema,
      description: 'Makes a NodeConfig for each node a label selector matches, from Go templates.',
      printerColumns: [
        { name: 'Nodes', type: 'integer', jsonPath: '.status.selectedNodes' },
        { name: 'NodeConfigs', type: 'integer', jsonPath: '.status.nodeConfigs' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1 },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    }),
  ],
});

/** Both declarations, CRDs in this order. */
// Typed by name: an inferred tuple would repeat both declarations' types in the published .d.ts.
export const WAO_CUSTOM_RESOURCES: readonly [typeof NodeConfigDeclaration, typeof NodeConfigTemplateDeclaration] = [NodeConfigDeclaration, NodeConfigTemplateDeclaration];

export type NodeConfigSpec = SpecOf<typeof NodeConfigDeclaration>;
export type NodeConfigSpecInput = SpecInputOf<typeof NodeConfigDeclaration>;
export type NodeConfigStatus = StatusOf<typeof NodeConfigDeclaration>;
export type NodeConfigObject = ObjectOf<typeof NodeConfigDeclaration>;
export type NodeConfigTemplateSpec = SpecOf<typeof NodeConfigTemplateDeclaration>;
export type NodeConfigTemplateSpecInput = SpecInputOf<typeof NodeConfigTemplateDeclaration>;
export type NodeConfigTemplateStatus = StatusOf<typeof NodeConfigTemplateDeclaration>;
export type NodeConfigTemplateObject = ObjectOf<typeof NodeConfigTemplateDeclaration>;
/** The template of a NodeConfigTemplate (either form), as stored. */
export type NodeConfigTemplateBody = NonNullable<NodeConfigTemplateSpec['template']>;
export type NodeConfigTemplateBodyInput = StaticInput<typeof NodeConfigTemplateBodySchema>;
export type EndpointTerm = NodeConfigSpec['metricsCollector']['inletTemp'] | NonNullable<NonNullable<NodeConfigSpec['predictor']>['powerConsumption']>;
export type CaBundleReference = NonNullable<EndpointTerm['caBundle']>;
export type Reading = NonNullable<NonNullable<NodeConfigStatus['readings']>['inletTemp']>;

/**
 * The template of a NodeConfigTemplate spec, whichever form it was written in (`template`, or
 * wao-core's README form with `metricsCollector` and `predictor` directly in the spec).
 */
export function templateOf(spec: NodeConfigTemplateSpec): NodeConfigTemplateBody {
  if (spec.template) return spec.template;
  if (!spec.metricsCollector) throw new ValidationError('NodeConfigTemplate', '/spec/template', 'is required (or metricsCollector)');
  return { metricsCollector: spec.metricsCollector, ...(spec.predictor ? { predictor: spec.predictor } : {}) } as NodeConfigTemplateBody;
}

// ---- the CEL rules, in TypeScript ---------------------------------------------------------------

/** One broken rule: the JSON pointer (under the spec) and the rule's message. */
export interface SpecProblem {
  readonly pointer: string;
  readonly reason: string;
}

type TermLike = {
  readonly type: string;
  readonly endpoint?: string;
  readonly fetchInterval?: string;
  readonly insecureSkipVerify?: boolean;
  readonly caBundle?: { readonly configMap?: unknown; readonly secret?: unknown };
};
type BodyLike = { readonly metricsCollector?: Record<string, TermLike | undefined>; readonly predictor?: Record<string, TermLike | undefined> };

/** What `termRules` says of one term, in TypeScript. */
export function termProblems(name: TermName, t: TermLike, at: string): SpecProblem[] {
  const out: SpecProblem[] = [];
  const exempt: readonly string[] = (TERM_TYPES[name] as readonly string[]).filter((x) => x === 'Fake' || x === '');
  if (!exempt.includes(t.type) && !t.endpoint) {
    out.push({ pointer: `${at}/endpoint`, reason: `is required unless type is ${exempt.map((x) => (x ? x : '""')).join(' or ')} (type is ${quote(t.type)})` });
  }
  if (t.caBundle && t.insecureSkipVerify) out.push({ pointer: `${at}/caBundle`, reason: 'and insecureSkipVerify: true exclude each other' });
  if (t.caBundle && !t.caBundle.configMap === !t.caBundle.secret) out.push({ pointer: `${at}/caBundle`, reason: 'takes exactly one of configMap and secret' });
  if (t.fetchInterval !== undefined && parseDuration(t.fetchInterval) < parseDuration(MIN_FETCH_INTERVAL)) {
    out.push({ pointer: `${at}/fetchInterval`, reason: `must be at least ${MIN_FETCH_INTERVAL}, got ${quote(t.fetchInterval)}` });
  }
  return out;
}

function bodyProblems(body: BodyLike, metricsAt: string, predictorAt: string): SpecProblem[] {
  const out: SpecProblem[] = [];
  for (const name of METRICS_TERMS) {
    const t = body.metricsCollector?.[name];
    if (t) out.push(...termProblems(name, t, `${metricsAt}/${name}`));
  }
  const p = body.predictor;
  if (p) {
    for (const name of PREDICTOR_TERMS) {
      const t = p[name];
      if (t) out.push(...termProblems(name, t, `${predictorAt}/${name}`));
    }
    if (p.powerConsumption && p.powerConsumption.type === '' && !p.powerConsumptionEndpointProvider) {
      out.push({ pointer: `${predictorAt}/powerConsumption/type`, reason: '"" needs a powerConsumptionEndpointProvider' });
    }
  }
  return out;
}

/** The CEL rules of a NodeConfig spec (schema-valid, defaults applied), in TypeScript. */
export function nodeConfigSpecProblems(spec: NodeConfigSpec): SpecProblem[] {
  return bodyProblems(spec as BodyLike, '/metricsCollector', '/predictor');
}

/**
 * The CEL rules of a NodeConfigTemplate spec (schema-valid, defaults applied), in TypeScript,
 * plus what the API server cannot check: the label selector (keys, values, operators).
 */
export function nodeConfigTemplateSpecProblems(spec: NodeConfigTemplateSpec): SpecProblem[] {
  const out: SpecProblem[] = [];
  try {
    checkLabelSelector('', '/nodeSelector', spec.nodeSelector);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    out.push({ pointer: e.field, reason: e.reason });
  }
  if (spec.template && spec.metricsCollector) out.push({ pointer: '/metricsCollector', reason: 'give either template or metricsCollector (and predictor) directly in spec, not both' });
  if (!spec.template && !spec.metricsCollector) out.push({ pointer: '/template', reason: 'is required (or metricsCollector and predictor directly in spec, the form of wao-core\'s README)' });
  if (spec.template && spec.predictor) out.push({ pointer: '/predictor', reason: 'goes into template when template is given' });
  if (spec.template) out.push(...bodyProblems(spec.template as BodyLike, '/template/metricsCollector', '/template/predictor'));
  else out.push(...bodyProblems(spec as BodyLike, '/metricsCollector', '/predictor'));
  return out;
}

function throwFirst(source: string, problems: readonly SpecProblem[], spec: unknown): void {
  const p = problems[0];
  if (!p) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  let value: unknown = spec;
  for (const seg of p.pointer.split('/').slice(1)) value = (value as Record<string, unknown> | undefined)?.[seg];
  throw new ValidationError(source, `/spec${p.pointer}`, `${p.reason}${more}`, value);
}

/**
 * Checks a NodeConfig spec as the API server would (schema, then the CEL rules) and returns it
 * with defaults applied. Throws a ValidationError naming the field (`/spec/metricsCollector/inletTemp/endpoint`).
 */
export function checkNodeConfigSpec(spec: unknown, opts: { readonly source?: string } = {}): NodeConfigSpec {
  const source = opts.source ?? `NodeConfig (${WAO_GROUP}/${WAO_VERSION})`;
  const stored = NodeConfigDeclaration.validate(spec, { source });
  throwFirst(source, nodeConfigSpecProblems(stored), stored);
  return stored;
}

/** Like `checkNodeConfigSpec`, for a NodeConfigTemplate spec (its label selector included). */
export function checkNodeConfigTemplateSpec(spec: unknown, opts: { readonly source?: string } = {}): NodeConfigTemplateSpec {
  const source = opts.source ?? `NodeConfigTemplate (${WAO_GROUP}/${WAO_VERSION})`;
  const stored = NodeConfigTemplateDeclaration.validate(spec, { source });
  throwFirst(source, nodeConfigTemplateSpecProblems(stored), stored);
  return stored;
}

/** The JSON pointer of a term inside a spec (`/metricsCollector/inletTemp`). */
export function termPointer(name: TermName): string {
  return (METRICS_TERMS as readonly string[]).includes(name) ? pointer('metricsCollector', name) : pointer('predictor', name);
}

/** The CRD schema of the term `name` of a NodeConfig (for tools that walk it). */
export function termSchema(name: TermName): JSONSchemaProps {
  const parent = (METRICS_TERMS as readonly string[]).includes(name) ? MetricsCollectorSchema.schema : PredictorSchema.schema;
  return parent.properties![name];
}
