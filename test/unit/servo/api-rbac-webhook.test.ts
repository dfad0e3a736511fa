/**
 * The servo's least RBAC (lib/api/servo/rbac.ts), its webhook (lib/api/servo/webhook.ts) and the
 * `matchConditions` checks of webhookProblems (lib/api/webhook.ts).
 */
import { ruleProblems } from '../../../lib/api/rbac.js';
import { servoRules } from '../../../lib/api/servo/rbac.js';
import { SERVO_WEBHOOK_NAME, SERVO_WEBHOOK_PATH } from '../../../lib/api/servo/names.js';
import { SERVO_WEBHOOK_TIMEOUT_SECONDS, servoWebhook } from '../../../lib/api/servo/webhook.js';
import { webhookProblems, type AdmissionWebhookSpec, type MatchCondition } from '../../../lib/api/webhook.js';

describe('servoRules', () => {
  const namespaces = ['jobs-a', 'jobs-b'];
  const rules = servoRules(namespaces);

  it('every rule is well formed', () => {
    for (const r of rules) expect([r, ruleProblems(r)]).toEqual([r, []]);
  });

  it('Roles in the watched namespaces only: nothing cluster-wide', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) expect([r.scope, r.namespaces]).toEqual(['namespace', namespaces]);
  });

  it('pods read and patched (finalizer, annotation), Events written; nothing else', () => {
    expect(rules.map(({ apiGroups, resources, verbs, resourceNames }) => ({ apiGroups, resources, verbs, resourceNames }))).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'], resourceNames: undefined },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'], resourceNames: undefined },
    ]);
    const verbs = rules.flatMap((r) => r.verbs);
    for (const v of ['delete', 'update', 'create-pods', '*', 'escalate', 'bind', 'impersonate']) expect(verbs).not.toContain(v);
    expect(rules.flatMap((r) => r.resources)).not.toContain('secrets');
  });

  it('the namespaces are copied: changing the caller\'s list later changes nothing', () => {
    const list = ['a'];
    const r = servoRules(list);
    list.push('b');
    expect(r.map((x) => x.namespaces)).toEqual([['a'], ['a']]);
  });
});

describe('servoWebhook', () => {
  const spec = servoWebhook(['jobs-b', 'jobs-a']);

  it('passes webhookProblems', () => {
    expect(webhookProblems(spec)).toEqual([]);
  });

  it('mutating pod CREATE, never blocking pods (Ignore), a short timeout, reinvoked when others change the pod', () => {
    expect(spec).toMatchObject({
      type: 'mutating',
      name: SERVO_WEBHOOK_NAME,
      path: SERVO_WEBHOOK_PATH,
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      failurePolicy: 'Ignore',
      timeoutSeconds: SERVO_WEBHOOK_TIMEOUT_SECONDS,
      reinvocationPolicy: 'Never',
    });
    expect(SERVO_WEBHOOK_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(1);
    expect(SERVO_WEBHOOK_TIMEOUT_SECONDS).toBeLessThanOrEqual(10);
    expect(spec.objectSelector).toBeUndefined();
  });

  it('its namespaceSelector lists exactly the watched namespaces, by their name label', () => {
    expect(spec.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['jobs-b', 'jobs-a'] }] });
    expect(servoWebhook(['default']).namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['default'] }] });
  });

  it('the API server skips pods with restartPolicy Always (defaulted before admission): they are never jobs', () => {
    expect(spec.matchConditions).toEqual([{ name: 'not-restart-always', expression: "object.spec.restartPolicy != 'Always'" }]);
  });

  it('the namespaces are copied', () => {
    const list = ['a'];
    const w = servoWebhook(list);
    list.push('b');
    expect(w.namespaceSelector?.matchExpressions?.[0].values).toEqual(['a']);
  });
});

describe('webhookProblems: matchConditions', () => {
  const base: AdmissionWebhookSpec = {
    type: 'mutating',
    name: 'pods.example.platform-constructs.io',
    path: '/mutate',
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  };
  const withConditions = (matchConditions: MatchCondition[], more: Partial<AdmissionWebhookSpec> = {}): AdmissionWebhookSpec => ({ ...base, ...more, matchConditions });
  const cond = (name: string, expression = 'true'): MatchCondition => ({ name, expression });

  it('none, an empty list, or well-formed ones: no problem, for mutating and validating webhooks', () => {
    expect(webhookProblems(base)).toEqual([]);
    expect(webhookProblems(withConditions([]))).toEqual([]);
    expect(webhookProblems(withConditions([cond('a'), cond('not-restart-always'), cond('A_b.c-9'), cond('x'.repeat(63))]))).toEqual([]);
    expect(webhookProblems(withConditions([cond('only-pods', "request.resource.resource == 'pods'")], { type: 'validating' }))).toEqual([]);
  });

  it.each([
    ['', /qualified name/],
    ['-a', /qualified name/],
    ['a-', /qualified name/],
    ['_a', /qualified name/],
    ['a b', /qualified name/],
    ['a/b/c', /qualified name/],
    ['x'.repeat(64), /at most 63 characters/],
  ])('the name %j is refused', (name, reason) => {
    expect(webhookProblems(withConditions([cond('ok'), cond(name)]))).toEqual([{ field: 'matchConditions[1].name', reason: expect.stringMatching(reason) }]);
  });

  // Regression: the name check is the bare name regex, but Kubernetes validates matchConditions[].name with
  // ValidateQualifiedName, which allows a DNS-subdomain prefix (`example.com/name`, as isQualifiedName in lib/k8s/labels.ts does).
  it('a prefixed qualified name is accepted, as the API server accepts it', () => {
    expect(webhookProblems(withConditions([cond('example.com/not-restart-always')]))).toEqual([]);
  });

  it('a name given twice: the second is refused', () => {
    expect(webhookProblems(withConditions([cond('a'), cond('b'), cond('a')]))).toEqual([{ field: 'matchConditions[2].name', reason: '"a" is given twice' }]);
  });

  it.each([[''], ['   '], ['\n\t']])('an empty expression %j is refused', (expression) => {
    expect(webhookProblems(withConditions([cond('a', expression)]))).toEqual([{ field: 'matchConditions[0].expression', reason: 'must be a CEL expression' }]);
  });

  it('a bad name and an empty expression in one condition: both named', () => {
    expect(webhookProblems(withConditions([cond('-', '')])).map((p) => p.field)).toEqual(['matchConditions[0].name', 'matchConditions[0].expression']);
  });

  it('at most 64 conditions', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => cond(`c${i}`));
    expect(webhookProblems(withConditions(many(64)))).toEqual([]);
    expect(webhookProblems(withConditions(many(65)))).toEqual([{ field: 'matchConditions', reason: 'at most 64 conditions are allowed' }]);
  });

  it('the other checks still apply next to the conditions', () => {
    const problems = webhookProblems(withConditions([cond('a')], { name: 'short.name', timeoutSeconds: 31, type: 'validating', reinvocationPolicy: 'IfNeeded' }));
    expect(problems.map((p) => p.field)).toEqual(['name', 'timeoutSeconds', 'reinvocationPolicy']);
  });
});
