import { crdVersion, defineCustomResource, pluralOf, type ObjectOf, type SpecInputOf, type SpecOf, type StatusInputOf, type StatusOf } from '../../../lib/api/crd/definition.js';
import { Schema, type Static, type StaticInput } from '../../../lib/api/crd/schema.js';
import { consumerDeclaration, nodeConfigDeclarations, NodeConfigTemplateSpec, type DeploymentSpecLike } from '../../fixtures/next-crds.js';
import { Widget, WidgetSpec } from '../../fixtures/widget-crd.js';
import { errorOf } from '../../fixtures/validation.js';
import fc from 'fast-check';
import type { JSONSchemaProps } from '../../../lib/api/crd/schema.js';
import { checkValue, scalarSurelyValid } from '../../../lib/api/crd/validate.js';
import { ValidationError } from '../../../lib/k8s/validation.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

describe('types inferred from one declaration', () => {
  const S = Schema.object({
    name: Schema.string(),
    count: Schema.integer({ default: 3 }),
    note: Schema.optional(Schema.string()),
    mode: Schema.enum(['A', 'B']),
    size: Schema.quantity(),
    tags: Schema.map(Schema.string()),
    items: Schema.array(Schema.object({ k: Schema.string(), v: Schema.optional(Schema.boolean()) })),
    gone: Schema.string({ nullable: true }),
  });

  test('stored type: defaulted fields present, optional ones optional', () => {
    assertType<
      Equal<
        Static<typeof S>,
        {
          name: string;
          count: number;
          mode: 'A' | 'B';
          size: number | string;
          tags: Record<string, string>;
          items: { k: string; v?: boolean }[];
          gone: string | null;
          note?: string;
        }
      >
    >(true);
    expect(S.schema.required).toEqual(['name', 'mode', 'size', 'tags', 'items', 'gone']);
  });

  test('written type: defaulted fields may be left out', () => {
    assertType<Equal<StaticInput<typeof S>['count'], number | undefined>>(true);
    const ok: StaticInput<typeof S> = { name: 'a', mode: 'A', size: '1Gi', tags: {}, items: [{ k: 'x' }], gone: null };
    // @ts-expect-error a required field is missing
    const missing: StaticInput<typeof S> = { mode: 'A', size: 1, tags: {}, items: [], gone: null };
    // @ts-expect-error not one of the enum's values
    const badEnum: StaticInput<typeof S> = { name: 'a', mode: 'C', size: 1, tags: {}, items: [], gone: null };
    // @ts-expect-error a string where a number is declared
    const badType: StaticInput<typeof S> = { name: 'a', count: '3', mode: 'A', size: 1, tags: {}, items: [], gone: null };
    // @ts-expect-error a default of the wrong type
    Schema.integer({ default: 'one' });
    expect([ok, missing, badEnum, badType]).toHaveLength(4);
  });

  test('spec and status types per version of a declaration', () => {
    assertType<Equal<SpecOf<typeof Widget>['mode'], 'Fast' | 'Slow'>>(true);
    assertType<Equal<SpecOf<typeof Widget, 'v1alpha1'>['interval'], string>>(true);
    assertType<Equal<SpecInputOf<typeof Widget>['replicas'], number | undefined>>(true);
    assertType<Equal<StatusOf<typeof Widget>['phase'], 'Pending' | 'Ready' | undefined>>(true);
    // @ts-expect-error no such version
    type Nope = SpecOf<typeof Widget, 'v2'>;
    const spec: SpecInputOf<typeof Widget> = { minReplicas: 1, maxReplicas: 2 };
    // @ts-expect-error maxReplicas is required
    const bad: SpecInputOf<typeof Widget> = { minReplicas: 1 };
    expect([spec, bad, undefined as unknown as Nope]).toHaveLength(3);
  });
});

describe('the CRD manifest', () => {
  const crd = Widget.manifest({ labels: { 'app.kubernetes.io/part-of': 'examples' } });
  const spec = crd.spec as any;
  const v1 = spec.versions[1];
  const schema = v1.schema.openAPIV3Schema;

  test('names, scope, versions with one storage version', () => {
    expect(crd.metadata).toEqual({ name: 'widgets.examples.platform-constructs.io', labels: { 'app.kubernetes.io/part-of': 'examples' } });
    expect(spec.names).toEqual({ kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', shortNames: ['wdg'], categories: ['platform'] });
    expect(spec.scope).toBe('Namespaced');
    expect(spec.versions.map((v: any) => [v.name, v.served, v.storage])).toEqual([
      ['v1alpha1', true, false],
      ['v1', true, true],
    ]);
    expect(Widget.storageVersion).toBe('v1');
    expect(Widget.apiVersion()).toBe('examples.platform-constructs.io/v1');
    expect(Widget.apiVersion('v1alpha1')).toBe('examples.platform-constructs.io/v1alpha1');
  });

  test('subresources and printer columns', () => {
    expect(v1.subresources).toEqual({
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
    });
    expect(spec.versions[0].subresources).toEqual({ status: {} });
    expect(v1.additionalPrinterColumns.map((c: any) => c.name)).toEqual(['Min', 'Max', 'Phase', 'Age']);
  });

  test('structural schema: every node typed, extensions only where declared', () => {
    const untyped: string[] = [];
    const preserve: string[] = [];
    const walk = (s: any, at: string) => {
      if (!s.type && !s['x-kubernetes-int-or-string'] && !s['x-kubernetes-preserve-unknown-fields']) untyped.push(at);
      if (s['x-kubernetes-preserve-unknown-fields']) preserve.push(at);
      for (const [k, p] of Object.entries(s.properties ?? {})) walk(p, `${at}.${k}`);
      if (s.items) walk(s.items, `${at}[]`);
      if (s.additionalProperties) walk(s.additionalProperties, `${at}{}`);
    };
    walk(schema, '');
    expect(untyped).toEqual([]);
    expect(preserve).toEqual(['.spec.template', '.spec.sidecar']);
    const p = schema.properties.spec.properties;
    expect(schema.required).toEqual(['spec']);
    expect(schema.properties.spec.required).toEqual(['minReplicas', 'maxReplicas']);
    expect(p.replicas).toMatchObject({ type: 'integer', default: 1, minimum: 0 });
    expect(p.mode).toEqual({ type: 'string', enum: ['Fast', 'Slow'], default: 'Fast' });
    expect(p.interval.pattern).toBeDefined();
    expect(p.memory).toMatchObject({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
    expect(p.endpoint).toEqual({ type: 'string', format: 'uri' });
    expect(p.labels).toEqual({ type: 'object', additionalProperties: { type: 'string', maxLength: 63 } });
    expect(p.endpoints).toMatchObject({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], maxItems: 16 });
    expect(p.sidecar).toEqual({ type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true });
    expect(schema.properties.spec['x-kubernetes-validations']).toEqual([
      { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas', fieldPath: '.minReplicas', reason: 'FieldValueInvalid' },
    ]);
    expect(schema.properties.status.properties.conditions).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
  });

  test('a spec with nothing required defaults to {} so its own defaults apply', () => {
    const d = defineCustomResource({
      group: 'a.example.com',
      kind: 'Thing',
      scope: 'Cluster',
      versions: [crdVersion('v1', { storage: true, spec: Schema.object({ n: Schema.integer({ default: 2 }) }) })],
    });
    const s = (d.manifest().spec as any).versions[0].schema.openAPIV3Schema;
    expect(s.required).toBeUndefined();
    expect(s.properties.spec.default).toEqual({});
    expect(s.properties.status).toBeUndefined();
    expect((d.manifest().spec as any).versions[0].subresources).toBeUndefined();
  });

  test('plural of the kind', () => {
    expect([pluralOf('Widget'), pluralOf('Policy'), pluralOf('Class'), pluralOf('Gateway')]).toEqual(['widgets', 'policies', 'classes', 'gateways']);
  });
});

describe('validate(spec): the JSON-Schema part, at synth time', () => {
  test('returns the spec with defaults applied, nested too', () => {
    const out = Widget.validate({ minReplicas: 1, maxReplicas: 3, endpoints: [{ name: 'a', url: 'http://a' }] });
    expect(out).toEqual({ minReplicas: 1, maxReplicas: 3, replicas: 1, mode: 'Fast', interval: '15s', endpoints: [{ name: 'a', url: 'http://a', weight: 1 }] });
  });

  test.each([
    [{ maxReplicas: 3 }, '/spec/minReplicas', 'is required'],
    [{ minReplicas: -1, maxReplicas: 3 }, '/spec/minReplicas', 'must be >= 0, got -1'],
    [{ minReplicas: 1, maxReplicas: 3, mode: 'Medium' }, '/spec/mode', 'must be one of "Fast", "Slow", got "Medium"'],
    [{ minReplicas: 1, maxReplicas: 3, interval: '15 seconds' }, '/spec/interval', 'must match the pattern'],
    [{ minReplicas: 1, maxReplicas: 3, memory: '2 GB' }, '/spec/memory', 'must match the pattern'],
    [{ minReplicas: 1, maxReplicas: 3, memory: true }, '/spec/memory', 'must be of type integer or string'],
    [{ minReplicas: 1, maxReplicas: 3, endpoint: 'not a uri' }, '/spec/endpoint', 'must match format "uri"'],
    [{ minReplicas: 1, maxReplicas: 3, replicaz: 2 }, '/spec/replicaz', 'is not a field of the schema'],
    [{ minReplicas: 1.5, maxReplicas: 3 }, '/spec/minReplicas', 'must be of type integer, got 1.5'],
    [{ minReplicas: 1, maxReplicas: 3, endpoints: [{ name: 'a', url: 'u', extra: 1 }] }, '/spec/endpoints/0/extra', 'is not a field'],
    [{ minReplicas: 1, maxReplicas: 3, labels: { 'a/b': 7 } }, '/spec/labels/a~1b', 'must be of type string'],
    [{ minReplicas: 1, maxReplicas: 3, sidecar: { kind: 'Pod' } }, '/spec/sidecar/apiVersion', 'is required'],
    [{ minReplicas: 1, maxReplicas: 3, selector: { matchExpressions: [{ key: 'k', operator: 'Has' }] } }, '/spec/selector/matchExpressions/0/operator', 'must be one of'],
  ])('%j is refused at %s', (spec, field, reason) => {
    const e = errorOf(() => Widget.validate(spec, { source: 'Chart/widget' }));
    expect(e.source).toBe('Chart/widget');
    expect(e.field).toBe(field);
    expect(e.reason).toContain(reason);
    expect(e.message).toBe(`Chart/widget: ${field}: ${e.reason}`);
  });

  test('duplicate keys of a map list are refused (as the API server does)', () => {
    const e = errorOf(() => Widget.validate({ minReplicas: 1, maxReplicas: 3, endpoints: [{ name: 'a', url: 'x' }, { name: 'b', url: 'y' }, { name: 'a', url: 'z' }] }));
    expect(e.field).toBe('/spec/endpoints/2');
    expect(e.reason).toBe('duplicate entry (name="a"), same as /spec/endpoints/0');
    const Tags = Schema.object({ tags: Schema.array(Schema.string(), { listType: 'set' }) });
    const d = defineCustomResource({ group: 'a.example.com', kind: 'Tagged', scope: 'Cluster', versions: [crdVersion('v1', { storage: true, spec: Tags })] });
    expect(errorOf(() => d.validate({ tags: ['x', 'y', 'x'] })).field).toBe('/spec/tags/2');
    expect(d.validate({ tags: ['x', 'y'] })).toEqual({ tags: ['x', 'y'] });
  });

  test('unknown fields are kept where declared (unstructured, embedded)', () => {
    const spec = { minReplicas: 0, maxReplicas: 1, template: { spec: { containers: [{ name: 'c' }] } }, sidecar: { apiVersion: 'v1', kind: 'Pod', spec: { x: 1 } } };
    expect(Widget.validate(spec)).toMatchObject(spec);
  });

  test('CEL rules are not run in JavaScript', () => {
    expect(() => Widget.validate({ minReplicas: 5, maxReplicas: 3 })).not.toThrow();
  });

  test('a status is checked against the status schema', () => {
    expect(errorOf(() => Widget.validateStatus({ phase: 'Gone' })).field).toBe('/status/phase');
    expect(errorOf(() => Widget.validateStatus({ conditions: [{ type: 'Ready', status: 'True' }] })).field).toBe('/status/conditions/0/lastTransitionTime');
    expect(Widget.validateStatus({ replicas: 2 }, { version: 'v1alpha1' })).toEqual({ replicas: 2 });
  });
});

describe('the declaration is checked when it is made', () => {
  const spec = Schema.object({ a: Schema.integer() });
  const make = (over: Record<string, unknown>, versions?: unknown) => () =>
    defineCustomResource({
      group: 'a.example.com',
      kind: 'Thing',
      scope: 'Namespaced',
      versions: (versions ?? [crdVersion('v1', { storage: true, spec })]) as any,
      ...over,
    });

  test.each([
    ['no storage version', make({}, [crdVersion('v1', { spec })]), 'spec.versions', 'exactly one version must be the storage version, got 0'],
    [
      'two storage versions',
      make({}, [crdVersion('v1', { spec, storage: true }), crdVersion('v2', { spec, storage: true })]),
      'spec.versions',
      'got 2 (v1, v2)',
    ],
    ['duplicate version', make({}, [crdVersion('v1', { spec, storage: true }), crdVersion('v1', { spec })]), 'spec.versions[1].name', 'declared twice'],
    ['bad version name', make({}, [crdVersion('V1', { spec, storage: true })]), 'spec.versions[0].name', 'DNS-1035'],
    ['group without a dot', make({ group: 'example' }), 'spec.group', 'at least one dot'],
    ['group not DNS', make({ group: 'Example.com' }), 'spec.group', 'DNS subdomain'],
    ['upper-case plural', make({ plural: 'Things' }), 'spec.names.plural', 'lowercase'],
    ['lower-case kind', make({ kind: 'thing' }), 'spec.names.kind', 'CamelCase'],
    ['bad short name', make({ shortNames: ['t_1'] }), 'spec.names.shortNames[0]', 'DNS-1035'],
    ['nothing served', make({}, [crdVersion('v1', { spec, storage: true, served: false })]), 'spec.versions', 'at least one version must be served'],
  ])('%s', (_title, fn, field, reason) => {
    const e = errorOf(fn);
    expect(e.field).toBe(field);
    expect(e.reason).toContain(reason);
    expect(e.source).toBe(`CustomResourceDefinition ${e.source.split(' ')[1]}`);
  });

  const one = (s: any, extra: Record<string, unknown> = {}) => make({}, [crdVersion('v1', { storage: true, spec: s, ...extra })]);
  const at = 'spec.versions[0].schema.openAPIV3Schema.properties[spec]';

  test.each([
    ['a default outside its bounds', Schema.object({ n: Schema.integer({ minimum: 1, default: 0 }) }), `${at}.properties[n].default`, 'must be >= 1'],
    ['a default not in the enum', Schema.object({ m: Schema.enum(['A'], { default: 'B' as 'A' }) }), `${at}.properties[m].default`, 'must be one of "A"'],
    ['a bad default duration', Schema.object({ d: Schema.duration({ default: '5 minutes' }) }), `${at}.properties[d].default`, 'must match the pattern'],
    ['a default longer than its maxLength', Schema.object({ s: Schema.string({ maxLength: 2, default: 'abc' }) }), `${at}.properties[s].default`, 'must NOT have more than 2 characters'],
    ['an empty list default below minItems', Schema.object({ l: Schema.array(Schema.string(), { minItems: 1, default: [] }) }), `${at}.properties[l].default`, 'must NOT have fewer than 1 items'],
    [
      'an object default missing a required field',
      Schema.object({ o: Schema.object({ x: Schema.string() }, { default: {} as { x: string } }) }),
      `${at}.properties[o].default`,
      '/x: is required',
    ],
    [
      'a CEL fieldPath that is not a field',
      Schema.object({ a: Schema.integer() }, { validations: [{ rule: 'self.a > 0', fieldPath: '.b' }] }),
      `${at}.x-kubernetes-validations[0].fieldPath`,
      '".b" is not a field',
    ],
    [
      'a CEL message on two lines',
      Schema.object({ a: Schema.integer() }, { validations: [{ rule: 'self.a > 0', message: 'a\nb' }] }),
      `${at}.x-kubernetes-validations[0].message`,
      'one line',
    ],
    [
      'a map list keyed by an optional field',
      Schema.object({ l: Schema.array(Schema.object({ k: Schema.optional(Schema.string()) }), { listType: 'map', mapKeys: ['k'] }) }),
      `${at}.properties[l].x-kubernetes-list-map-keys`,
      'required or defaulted',
    ],
    [
      'a set of objects',
      Schema.object({ l: Schema.array(Schema.object({ k: Schema.string() }), { listType: 'set' }) }),
      `${at}.properties[l].x-kubernetes-list-type`,
      'scalars only',
    ],
  ])('%s', (_title, s, field, reason) => {
    const e = errorOf(one(s));
    expect(e.field).toBe(field);
    expect(e.reason).toContain(reason);
  });

  test('printer columns and scale paths must name fields of the schema', () => {
    const s = Schema.object({ a: Schema.integer() });
    expect(errorOf(one(s, { printerColumns: [{ name: 'A', type: 'integer', jsonPath: '.spec.b' }] })).field).toBe(
      'spec.versions[0].additionalPrinterColumns[0].jsonPath',
    );
    expect(
      errorOf(one(s, { printerColumns: [{ name: 'A', type: 'integer', jsonPath: '.spec.a' }, { name: 'A', type: 'date', jsonPath: '.metadata.creationTimestamp' }] }))
        .reason,
    ).toContain('declared twice');
    const st = Schema.object({ n: Schema.optional(Schema.integer()) });
    expect(errorOf(one(s, { status: st, scale: { specReplicasPath: '.spec.x', statusReplicasPath: '.status.n' } })).field).toBe(
      'spec.versions[0].subresources.scale.specReplicasPath',
    );
    expect(errorOf(one(s, { scale: { specReplicasPath: '.spec.a', statusReplicasPath: '.status.n' } })).reason).toContain('needs a declared status');
    expect(errorOf(one(s, { selectableFields: ['.spec.nope'] })).field).toBe('spec.versions[0].selectableFields[0].jsonPath');
    expect(() => one(s, { selectableFields: ['.spec.a'] })()).not.toThrow();
  });

  test('the sample declaration itself is valid and its spec schema is reused across versions', () => {
    expect(WidgetSpec.schema.type).toBe('object');
    expect((Widget.manifest().spec as any).versions[0].schema).toEqual((Widget.manifest().spec as any).versions[1].schema);
  });
});

describe('shapes the next controllers need (sketches in test/fixtures/next-crds.ts)', () => {
  const { NodeConfig, NodeConfigTemplate } = nodeConfigDeclarations();
  const Consumer = consumerDeclaration();

  test('a template reuses a spec without the field the controller fills in', () => {
    type Template = StaticInput<typeof NodeConfigTemplateSpec>['template'];
    const t: Template = { metricsCollector: { inletTemp: { type: 'Fake' }, deltaP: { type: 'Redfish', endpoint: 'https://{{.IPv4.Address}}' } } };
    // @ts-expect-error nodeName is not part of the template
    const bad: Template = { nodeName: 'n', metricsCollector: t.metricsCollector };
    expect(bad).toBeDefined();
    expect(NodeConfigTemplateSpec.schema.properties!.template.required).toEqual(['metricsCollector']);
    expect(NodeConfigTemplateSpec.schema.properties!.template.properties!.nodeName).toBeUndefined();
    expect(NodeConfigTemplate.validate({ nodeSelector: { matchLabels: { a: 'b' } }, template: t }).template.metricsCollector.inletTemp).toEqual({
      type: 'Fake',
      fetchInterval: '15s',
      insecureSkipVerify: false,
    });
  });

  test('a NodeConfig: nested CEL rules, selectable nodeName, durations', () => {
    const v = (NodeConfig.manifest().spec as any).versions[0];
    expect(v.selectableFields).toEqual([{ jsonPath: '.spec.nodeName' }]);
    expect(v.schema.openAPIV3Schema.properties.spec.properties.metricsCollector.properties.deltaP['x-kubernetes-validations'][0].fieldPath).toBe('.endpoint');
    expect(errorOf(() => NodeConfig.validate({ nodeName: 'n', metricsCollector: { inletTemp: { type: 'Fake' }, deltaP: { type: 'Fake', fetchInterval: '1 min' } } })).field).toBe(
      '/spec/metricsCollector/deltaP/fetchInterval',
    );
  });

  test('a Consumer: an unstructured deployment spec, quantities in maps, lists keyed by container name', () => {
    type Spec = SpecOf<typeof Consumer>;
    assertType<Equal<Spec['deploymentTemplate'], DeploymentSpecLike>>(true);
    assertType<Equal<NonNullable<Spec['resourcePolicy']>['containerPolicies'][number]['minAllowed'], { cpu?: string; memory?: string } | undefined>>(true);
    const spec = Consumer.validate({
      numPartitions: 10,
      name: 'c',
      deploymentTemplate: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
      resourcePolicy: { containerPolicies: [{ containerName: 'main', minAllowed: { cpu: '100m', memory: '128Mi' }, maxAllowed: { cpu: '2' } }] },
    });
    expect(spec.numPartitionsPerInstance).toBe(1);
    expect(spec.partitionEnvKey).toBe('KONSUMERATOR_PARTITION');
    expect(
      errorOf(() =>
        Consumer.validate({ numPartitions: 1, name: 'c', deploymentTemplate: {}, resourcePolicy: { containerPolicies: [{ containerName: 'main', maxAllowed: { cpu: 'two' } }] } }),
      ).field,
    ).toBe('/spec/resourcePolicy/containerPolicies/0/maxAllowed/cpu');
  });
});

describe('objects for the runtime', () => {
  test('instance(): a typed, checked object to create (e.g. from a template)', () => {
    const o = Widget.instance({ name: 'w', namespace: 'apps' }, { minReplicas: 1, maxReplicas: 2 });
    expect(o).toEqual({ apiVersion: 'examples.platform-constructs.io/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'apps' }, spec: { minReplicas: 1, maxReplicas: 2 } });
    expect(Widget.instance({ name: 'w' }, { minReplicas: 1, maxReplicas: 2 }, { version: 'v1alpha1' }).apiVersion).toBe('examples.platform-constructs.io/v1alpha1');
    const e = errorOf(() => Widget.instance({ name: 'w', namespace: 'apps' }, { minReplicas: 1, maxReplicas: 0 }));
    expect(e.message).toBe('Widget apps/w: /spec/maxReplicas: must be >= 1, got 0');
    // @ts-expect-error the spec is typed
    expect(() => Widget.instance({ name: 'w' }, { minReplicas: 1 })).toThrow('/spec/maxReplicas: is required');
  });

  test('ObjectOf: what a controller reads, defaults present', () => {
    const read: ObjectOf<typeof Widget> = {
      apiVersion: Widget.apiVersion(),
      kind: 'Widget',
      metadata: { name: 'w', generation: 2 },
      spec: { minReplicas: 1, maxReplicas: 2, replicas: 1, mode: 'Fast', interval: '15s' },
      status: { conditions: [] },
    };
    assertType<Equal<typeof read.spec.interval, string>>(true);
    // @ts-expect-error a stored spec has its defaulted fields
    const partial: ObjectOf<typeof Widget> = { ...read, spec: { minReplicas: 1, maxReplicas: 2 } };
    const status: StatusInputOf<typeof Widget> = { phase: 'Ready' };
    expect([partial, status]).toHaveLength(2);
  });
});

describe('defaults checked without compiling them (scalarSurelyValid)', () => {
  const ajvSays = (s: JSONSchemaProps, v: unknown) => {
    try {
      checkValue(s, v, { source: 'test' });
      return true;
    } catch (e) {
      if (e instanceof ValidationError) return false;
      throw e;
    }
  };
  const bound = fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined });
  const scalarSchema: fc.Arbitrary<JSONSchemaProps> = fc.oneof(
    fc.record({
      type: fc.constant('string'),
      minLength: fc.option(fc.nat(3), { nil: undefined }),
      maxLength: fc.option(fc.nat(3), { nil: undefined }),
      pattern: fc.option(fc.constantFrom('^a', 'b$', '^[0-9]+(ms|s|m|h)$', '^\\p{L}+$'), { nil: undefined }),
      format: fc.option(fc.constantFrom('uri', 'ipv4', 'hostname', 'date-time', 'int32'), { nil: undefined }),
      enum: fc.option(fc.constantFrom(['a', 'é', '15s'], ['x']), { nil: undefined }),
    }, { requiredKeys: ['type'] }),
    fc.record({
      type: fc.constantFrom('integer', 'number'),
      minimum: bound, maximum: bound,
      exclusiveMinimum: fc.option(fc.boolean(), { nil: undefined }),
      exclusiveMaximum: fc.option(fc.boolean(), { nil: undefined }),
      format: fc.option(fc.constantFrom('int32', 'int64', 'double'), { nil: undefined }),
      enum: fc.option(fc.constant([0, 1, 2.5]), { nil: undefined }),
    }, { requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('boolean'), enum: fc.option(fc.constant([true]), { nil: undefined }) }, { requiredKeys: ['type'] }),
    // keywords it does not know: it must say "not sure"
    fc.record({ type: fc.constant('string'), nullable: fc.constant(true) }),
    fc.record({ type: fc.constant('object'), properties: fc.constant({}) }),
  ) as fc.Arbitrary<JSONSchemaProps>;
  const value = fc.oneof(
    fc.constantFrom('a', 'ab', 'b', '15s', '12', 'é', '', 'http://x', '10.0.0.1', 'host.example', '2026-12-04T00:00:00Z', 'ü', '\u{1F600}'),
    fc.integer({ min: -6, max: 6 }), fc.constantFrom(2.5, 2 ** 31, 2 ** 53, -0.5), fc.boolean(), fc.constant(null), fc.constant({}),
  );

  it('never calls valid what ajv refuses; on the keywords it knows, says what ajv says', () => {
    fc.assert(fc.property(scalarSchema, value, (s, v) => {
      const fast = scalarSurelyValid(s, v);
      const slow = ajvSays(s, v);
      if (fast) expect(slow).toBe(true);
      if (s.nullable || s.type === 'object') expect(fast).toBe(false);
      else expect(fast).toBe(slow);
    }), { numRuns: 2000, seed: 21 });
    // A format that is an Object.prototype member is no format of ours: ajv decides (and refuses it).
    for (const [type, v] of [['string', 'x'], ['integer', 1]] as const) expect(scalarSurelyValid({ type, format: 'constructor' }, v)).toBe(false);
  });
});
