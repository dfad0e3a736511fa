/**
 * Konsumerator's custom resource, `konsumerator.lwolf.org/v1` Consumer, declared once: the CRD,
 * the TypeScript types and the synth-time checks come from here. The API is the original's (its
 * YAML applies unchanged, quantities written as strings as its examples do), with what it lacked:
 * a structural schema, defaults, CEL rules, conditions and printer columns.
 */
import { crdVersion, defineCustomResource, type ObjectOf, type SpecInputOf, type SpecOf, type StatusOf } from '../crd/definition.js';
import { Schema, type ValidationRule } from '../crd/schema.js';
import { parseDuration } from '../flags.js';
import { quantityValue } from '../../k8s/validators.js';
import { ValidationError } from '../../k8s/validation.js';
import { DEFAULT_PARTITION_ENV_KEY, KONSUMERATOR_GROUP, KONSUMERATOR_VERSION } from './names.js';

/** Most partitions of one Consumer (one Deployment each at most). */
export const MAX_PARTITIONS = 100_000;
/** Longest `spec.name`: `<name>-<instance>` must stay a DNS-1123 label for up to 99,999 instances. */
export const MAX_CONSUMER_NAME = 57;

const duration = (description: string, def?: string) =>
  def === undefined ? Schema.optional(Schema.duration({ maxLength: 32, description })) : Schema.duration({ maxLength: 32, default: def, description: `${description} @default ${def}` });

const query = (what: string) =>
  Schema.object(
    {
      query: Schema.string({ minLength: 1, maxLength: 4096, description: `PromQL returning ${what} per partition.` }),
      partitionLabel: Schema.string({ default: 'partition', minLength: 1, maxLength: 128, pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', description: 'The label holding the partition number.' }),
    },
    { description: `The query of ${what}.` },
  );

const resources = (what: string) =>
  Schema.optional(
    Schema.object(
      {
        cpu: Schema.optional(Schema.quantityString({ description: `CPU ${what} ("100m", "1").` })),
        memory: Schema.optional(Schema.quantityString({ description: `Memory ${what} ("100M", "1Gi").` })),
      },
      { description: `The ${what} resources.` },
    ),
  );

/** minAllowed <= maxAllowed for each resource both give (CEL quantity comparison). */
const POLICY_RULES: ValidationRule[] = ['cpu', 'memory'].map((r) => ({
  rule: `!has(self.minAllowed) || !has(self.maxAllowed) || !has(self.minAllowed.${r}) || !has(self.maxAllowed.${r}) || quantity(self.minAllowed.${r}).compareTo(quantity(self.maxAllowed.${r})) <= 0`,
  message: `minAllowed.${r} must not exceed maxAllowed.${r}`,
  fieldPath: `.minAllowed.${r}`,
}));

const ContainerPolicySchema = Schema.object(
  {
    containerName: Schema.string({ minLength: 1, maxLength: 63, description: 'The container this policy sizes. Only containers with a policy (or the mainContainer) are sized.' }),
    mode: Schema.enum(['Auto', 'Off'], { default: 'Auto', description: 'Off: the container keeps the template\'s resources.' }),
    minAllowed: resources('least allowed'),
    maxAllowed: resources('most allowed'),
  },
  { validations: POLICY_RULES },
);

const PrometheusSchema = Schema.object(
  {
    address: Schema.array(Schema.string({ minLength: 1, maxLength: 2048, pattern: '^https?://' }), { minItems: 1, maxItems: 16, description: 'Prometheus base URLs, tried in order.' }),
    minSyncPeriod: duration('Shortest time between two queries of Prometheus for one Consumer.', '1m'),
    tolerableLag: duration('Lag below which no scale-up is started.', '5m'),
    criticalLag: duration('Lag at which the instance gets the policy\'s maxAllowed at once.'),
    recoveryTime: duration('Time to catch up a lag in: the extra consumption the predictor gives a lagging partition.', '30m'),
    ratePerCore: Schema.integer({ minimum: 1, format: 'int64', description: 'Messages per second one core consumes.' }),
    ramPerCore: Schema.quantityString({ description: 'Memory per core of CPU limit ("100M").' }),
    cpuIncrement: Schema.quantityString({ default: '100m', description: 'CPU requests are rounded up to a multiple of this. @default 100m' }),
    fallbackStrategy: Schema.optional(Schema.enum(['min', 'max'], { description: 'Accepted for the original\'s users; missing metrics keep the current resources here.' })),
    offset: query('messages behind (lag in messages)'),
    production: query('messages produced per second'),
    consumption: Schema.optional(query('messages consumed per second')),
  },
  {
    description: 'The Prometheus provider and the NaivePredictor\'s settings.',
    validations: [
      { rule: "!has(self.criticalLag) || duration(self.criticalLag) > duration(self.tolerableLag)", message: 'criticalLag must be longer than tolerableLag', fieldPath: '.criticalLag' },
      { rule: "duration(self.recoveryTime) >= duration('1s')", message: 'recoveryTime must be at least 1s', fieldPath: '.recoveryTime' },
      { rule: "quantity(self.cpuIncrement).isGreaterThan(quantity('0'))", message: 'cpuIncrement must be more than 0', fieldPath: '.cpuIncrement' },
      { rule: "quantity(self.ramPerCore).isGreaterThan(quantity('0'))", message: 'ramPerCore must be more than 0', fieldPath: '.ramPerCore' },
    ],
  },
);

const AutoscalerSchema = Schema.object(
  {
    mode: Schema.enum(['prometheus', ''], { description: 'prometheus, or "" for none (the template\'s resources, or the policy\'s minAllowed).' }),
    pendingScaleUpDuration: duration('How long a scale-up waits (lag must stay over tolerableLag).', '5m'),
    pendingScaleDownDuration: duration('How long a scale-down waits (the lower estimate must hold).', '15m'),
    prometheus: Schema.optional(PrometheusSchema),
  },
  { validations: [{ rule: "self.mode != 'prometheus' || has(self.prometheus)", message: 'mode prometheus needs prometheus', fieldPath: '.prometheus', reason: 'FieldValueRequired' }] },
);

const ConsumerSpecSchema = Schema.object(
  {
    numPartitions: Schema.integer({ minimum: 1, maximum: MAX_PARTITIONS, format: 'int32', description: 'Partitions of the topic.' }),
    numPartitionsPerInstance: Schema.integer({ minimum: 1, maximum: MAX_PARTITIONS, default: 1, format: 'int32', description: 'Partitions per Deployment. @default 1' }),
    name: Schema.string({ minLength: 1, maxLength: MAX_CONSUMER_NAME, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Deployments are named <name>-<instance>.' }),
    namespace: Schema.optional(Schema.string({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Namespace of the Deployments. @default the Consumer\'s' })),
    autoscaler: Schema.optional(AutoscalerSchema),
    partitionEnvKey: Schema.string({ default: DEFAULT_PARTITION_ENV_KEY, minLength: 1, maxLength: 128, pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$', description: `Env variable with the instance's partitions. @default ${DEFAULT_PARTITION_ENV_KEY}` }),
    mainContainer: Schema.optional(Schema.string({ minLength: 1, maxLength: 63, description: 'A container the predictor sizes besides those with a containerPolicy (the others, sidecars, keep their resources).' })),
    maxConcurrentUpdates: Schema.integer({ minimum: 1, maximum: MAX_PARTITIONS, default: 10, description: 'Instances updated at once after a template change; the next batch waits for these to be available. @default 10' }),
    // Every field of apps/v1 DeploymentSpec is declared: Terraform's kubernetes_manifest derives
    // its types from this schema and refuses fields it does not declare, even where unknown
    // fields are preserved (the seed's replicas, strategy and selector).
    deploymentTemplate: Schema.object(
      {
        replicas: Schema.optional(Schema.integer({ minimum: 0, format: 'int32', description: 'Pods of each instance (0 stops the consumer).' })),
        selector: Schema.optional(Schema.labelSelector({ description: 'Selects the template\'s pods; each instance\'s Deployment also selects its own instance label.' })),
        strategy: Schema.optional(Schema.unstructured({ description: 'An apps/v1 DeploymentStrategy (Recreate keeps two pods off the same partitions).' })),
        minReadySeconds: Schema.optional(Schema.integer({ minimum: 0, format: 'int32' })),
        revisionHistoryLimit: Schema.optional(Schema.integer({ minimum: 0, format: 'int32' })),
        progressDeadlineSeconds: Schema.optional(Schema.integer({ minimum: 0, format: 'int32' })),
        paused: Schema.optional(Schema.boolean()),
        template: Schema.unstructured({ description: 'The pod template.' }),
      },
      { preserveUnknownFields: true, description: 'An apps/v1 DeploymentSpec; resources and the partition env are set per instance.' },
    ),
    resourcePolicy: Schema.optional(
      Schema.object(
        {
          globalPolicy: Schema.optional(Schema.object({ maxAllowed: resources('most allowed for all instances together') }, { description: 'Accepted for the original\'s users.' })),
          containerPolicies: Schema.optional(Schema.array(ContainerPolicySchema, { listType: 'map', mapKeys: ['containerName'], maxItems: 32 })),
        },
        { description: 'Bounds of the sized containers\' resources.' },
      ),
    ),
  },
  {
    description: 'One Deployment per group of partitions, sized from the lag.',
    validations: [
      { rule: 'self.numPartitionsPerInstance <= self.numPartitions', message: 'numPartitionsPerInstance must not exceed numPartitions', fieldPath: '.numPartitionsPerInstance' },
    ],
  },
);

const InstanceStateSchema = Schema.object({
  productionRate: Schema.integer({ format: 'int64' }),
  consumptionRate: Schema.integer({ format: 'int64' }),
  messageBehind: Schema.integer({ format: 'int64' }),
});

const ConsumerStatusSchema = Schema.object({
  observedGeneration: Schema.optional(Schema.integer({ format: 'int64', minimum: 0 })),
  expected: Schema.optional(Schema.integer({ minimum: 0, description: 'Instances the spec asks for.' })),
  running: Schema.optional(Schema.integer({ minimum: 0 })),
  paused: Schema.optional(Schema.integer({ minimum: 0 })),
  lagging: Schema.optional(Schema.integer({ minimum: 0 })),
  missing: Schema.optional(Schema.integer({ minimum: 0 })),
  outdated: Schema.optional(Schema.integer({ minimum: 0 })),
  redundant: Schema.optional(Schema.integer({ minimum: 0 })),
  lastSyncTime: Schema.optional(Schema.dateTime({ description: 'When Prometheus last answered.' })),
  lastSyncState: Schema.optional(Schema.map(InstanceStateSchema, { maxProperties: MAX_PARTITIONS, description: 'Per instance: the largest lag\'s partition rates.' })),
  conditions: Schema.conditions(),
});

export const ConsumerDeclaration = defineCustomResource({
  group: KONSUMERATOR_GROUP,
  kind: 'Consumer',
  scope: 'Namespaced',
  categories: ['konsumerator'],
  versions: [
    crdVersion(KONSUMERATOR_VERSION, {
      storage: true,
      spec: ConsumerSpecSchema,
      status: ConsumerStatusSchema,
      description: 'A Kafka consumer run as one Deployment per group of partitions, sized vertically from its lag.',
      printerColumns: [
        { name: 'Expected', type: 'integer', jsonPath: '.status.expected', description: 'Number of replicas supposed to run' },
        { name: 'Running', type: 'integer', jsonPath: '.status.running' },
        { name: 'Paused', type: 'integer', jsonPath: '.status.paused' },
        { name: 'Missing', type: 'integer', jsonPath: '.status.missing' },
        { name: 'Lagging', type: 'integer', jsonPath: '.status.lagging' },
        { name: 'Outdated', type: 'integer', jsonPath: '.status.outdated' },
        { name: 'Autoscaler', type: 'string', jsonPath: '.spec.autoscaler.mode', description: 'Autoscaler in use' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    }),
  ],
});

export type ConsumerSpec = SpecOf<typeof ConsumerDeclaration>;
export type ConsumerSpecInput = SpecInputOf<typeof ConsumerDeclaration>;
export type ConsumerStatus = StatusOf<typeof ConsumerDeclaration>;
export type ConsumerObject = ObjectOf<typeof ConsumerDeclaration>;
export type PrometheusSpec = NonNullable<NonNullable<ConsumerSpec['autoscaler']>['prometheus']>;
export type ContainerPolicy = NonNullable<NonNullable<ConsumerSpec['resourcePolicy']>['containerPolicies']>[number];

/** A rule the spec breaks: the JSON pointer under the spec, and why. */
export interface SpecProblem {
  readonly pointer: string;
  readonly reason: string;
}

/** The CEL rules of a Consumer spec (schema-valid, defaults applied), in TypeScript: keep them in step. */
export function consumerSpecProblems(spec: ConsumerSpec): SpecProblem[] {
  const out: SpecProblem[] = [];
  if (spec.numPartitionsPerInstance > spec.numPartitions) out.push({ pointer: '/numPartitionsPerInstance', reason: 'numPartitionsPerInstance must not exceed numPartitions' });
  const a = spec.autoscaler;
  if (a?.mode === 'prometheus' && !a.prometheus) out.push({ pointer: '/autoscaler/prometheus', reason: 'mode prometheus needs prometheus' });
  const p = a?.prometheus;
  if (p) {
    if (p.criticalLag !== undefined && parseDuration(p.criticalLag) <= parseDuration(p.tolerableLag)) out.push({ pointer: '/autoscaler/prometheus/criticalLag', reason: 'criticalLag must be longer than tolerableLag' });
    if (parseDuration(p.recoveryTime) < 1000) out.push({ pointer: '/autoscaler/prometheus/recoveryTime', reason: 'recoveryTime must be at least 1s' });
    if (!((quantityValue(p.cpuIncrement) ?? 0) > 0)) out.push({ pointer: '/autoscaler/prometheus/cpuIncrement', reason: 'cpuIncrement must be more than 0' });
    if (!((quantityValue(p.ramPerCore) ?? 0) > 0)) out.push({ pointer: '/autoscaler/prometheus/ramPerCore', reason: 'ramPerCore must be more than 0' });
  }
  (spec.resourcePolicy?.containerPolicies ?? []).forEach((c, i) => {
    for (const r of ['cpu', 'memory'] as const) {
      const min = c.minAllowed?.[r];
      const max = c.maxAllowed?.[r];
      if (min !== undefined && max !== undefined && quantityValue(min)! > quantityValue(max)!) {
        out.push({ pointer: `/resourcePolicy/containerPolicies/${i}/minAllowed/${r}`, reason: `minAllowed.${r} must not exceed maxAllowed.${r}` });
      }
    }
  });
  return out;
}

/**
 * Checks a Consumer spec as the API server would (schema, defaults, then the CEL rules) and
 * returns it with defaults applied; a ValidationError names the field (`/spec/numPartitions`).
 */
export function checkConsumerSpec(spec: unknown, opts: { readonly source?: string } = {}): ConsumerSpec {
  const source = opts.source ?? `Consumer (${KONSUMERATOR_GROUP}/${KONSUMERATOR_VERSION})`;
  const stored = ConsumerDeclaration.validate(spec, { source });
  const [first, ...more] = consumerSpecProblems(stored);
  if (first) throw new ValidationError(source, `/spec${first.pointer}`, `${first.reason}${more.length ? ` (and ${more.length} more)` : ''}`);
  return stored;
}
