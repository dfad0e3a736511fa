import { Chart, Testing } from 'cdk8s';
import { PlatformController, WebhookCertificate, type PlatformControllerProps } from '../../../constructs/controller/index.js';
import { SecretGenerator } from '../../../constructs/secret-generator/index.js';
import { parseFlags, type FlagSpec } from '../../../lib/api/flags.js';
import { MANAGER_FLAGS } from '../../../lib/api/manager.js';
import { leaseRules, type ControllerRule } from '../../../lib/api/rbac.js';
import { GENERATE_LABEL, SPEC_ANNOTATION, parseGenerateSpec } from '../../../lib/api/secret-generator/index.js';
import { parseWebhookConfigurationRefs, webhookCaInjectRules, type AdmissionWebhookSpec } from '../../../lib/api/webhook.js';
import { ValidationError } from '../../../lib/k8s/validation.js';
import { declaredRules, grantedRules } from '../../fixtures/rbac.js';

const FLAGS = [{ name: 'target', type: 'string', required: true, description: 'x' }, ...MANAGER_FLAGS] as const satisfies readonly FlagSpec[];
const RULES: ControllerRule[] = [{ scope: 'cluster', apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }];
const MUTATE: AdmissionWebhookSpec = {
  type: 'mutating',
  name: 'pods.sample.platform-constructs.io',
  path: '/mutate-pods',
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
};
const VALIDATE: AdmissionWebhookSpec = { ...MUTATE, type: 'validating', name: 'v.sample.platform-constructs.io', path: '/validate-pods' };
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);

function stack(props: { watch?: string[]; webhooks?: AdmissionWebhookSpec[]; certificate?: (g: SecretGenerator) => WebhookCertificate; sample?: Partial<PlatformControllerProps<typeof FLAGS>> } = {}) {
  const c = new Chart(Testing.app(), 'stack', { namespace: 'platform' });
  const gen = new SecretGenerator(c, 'gen', props.watch ? { watchNamespaces: props.watch } : {});
  const ctl = new PlatformController(c, 'sample', {
    controller: 'sample',
    flags: FLAGS,
    args: { target: 'x' },
    rules: RULES,
    webhooks: { webhooks: props.webhooks ?? [MUTATE, VALIDATE], certificate: (props.certificate ?? ((g) => WebhookCertificate.generated(g)))(gen) },
    ...props.sample,
  });
  return { ctl, objects: Testing.synth(c) as any[] };
}

const secret = (objects: any[], name: string) => byKind(objects, 'Secret').find((s) => s.metadata.name === name);
const sampleContainer = (objects: any[]) => byKind(objects, 'Deployment').find((d) => d.metadata.name === 'sample').spec.template.spec;

describe('WebhookCertificate.generated', () => {
  it('a CA and a serving certificate the secret generator fills, for the webhook Service, with no secret material in the manifests', () => {
    const { objects } = stack({ certificate: (g) => WebhookCertificate.generated(g, { ipAddresses: ['127.0.0.1'], dnsNames: ['hooks.example.com'], validityDays: 90 }) });
    const svc = byKind(objects, 'Service').find((s) => s.metadata.name === 'sample-webhook');
    const svcName = `${svc.metadata.name}.${svc.metadata.namespace}.svc`;

    const ca = secret(objects, 'sample-webhook-ca');
    const leaf = secret(objects, 'sample-webhook-cert');
    for (const s of [ca, leaf]) {
      expect(s.metadata.namespace).toBe('platform');
      expect(s.metadata.labels[GENERATE_LABEL]).toBe('true');
      expect(s.type).toBe('Opaque');
      expect(s.data).toBeUndefined();
      expect(s.stringData).toBeUndefined();
    }
    // The specs are what the generator's own parser accepts.
    const caSpec = parseGenerateSpec(ca.metadata.annotations[SPEC_ANNOTATION], { selfName: 'sample-webhook-ca' });
    expect(Object.fromEntries(caSpec.keys)).toEqual({ 'tls.crt': { kind: 'certificate', part: 'cert' }, 'tls.key': { kind: 'certificate', part: 'key' } });
    expect(caSpec.certificate).toMatchObject({ isCA: true, validityDays: 90 });
    const leafSpec = parseGenerateSpec(leaf.metadata.annotations[SPEC_ANNOTATION], { selfName: 'sample-webhook-cert' });
    expect(Object.fromEntries(leafSpec.keys)).toEqual({
      'ca.crt': { kind: 'certificate', part: 'ca' },
      'tls.crt': { kind: 'certificate', part: 'cert' },
      'tls.key': { kind: 'certificate', part: 'key' },
    });
    expect(leafSpec.certificate).toMatchObject({
      commonName: svcName,
      dnsNames: [svcName, `${svcName}.cluster.local`, 'hooks.example.com'],
      ipAddresses: ['127.0.0.1'],
      isCA: false,
      issuer: 'sample-webhook-ca',
      validityDays: 90,
    });

    // The pods mount the serving certificate Secret (all its keys) where --webhook-cert-dir says.
    const pod = sampleContainer(objects);
    expect(pod.volumes).toEqual([{ name: 'webhook-cert', secret: { secretName: 'sample-webhook-cert', defaultMode: 0o440 } }]);
    const { values } = parseFlags(FLAGS, pod.containers[0].args.slice(1), { NAMESPACE: 'platform' });
    expect(values['webhook-cert-dir']).toBe(pod.containers[0].volumeMounts[0].mountPath);

    // No certificate, key or CA anywhere in the manifests.
    expect(JSON.stringify(objects)).not.toMatch(/BEGIN|caBundle/);
  });

  it('the controller injects the CA itself: the flag names its configurations, which carry no caBundle; RBAC get/patch limited to them', () => {
    const { ctl, objects } = stack();
    const [mwc] = byKind(objects, 'MutatingWebhookConfiguration');
    const [vwc] = byKind(objects, 'ValidatingWebhookConfiguration');
    for (const config of [mwc, vwc]) {
      expect(config.metadata.annotations).toBeUndefined();
      for (const w of config.webhooks) expect(w.clientConfig.caBundle).toBeUndefined();
    }
    const args: string[] = sampleContainer(objects).containers[0].args;
    const { values } = parseFlags(FLAGS, args.slice(1), { NAMESPACE: 'platform' });
    expect(values['webhook-ca-inject']).toBe('mutating:platform-sample,validating:platform-sample');
    expect(parseWebhookConfigurationRefs(values['webhook-ca-inject']!)).toEqual([
      { type: 'mutating', name: mwc.metadata.name },
      { type: 'validating', name: vwc.metadata.name },
    ]);

    const inject = webhookCaInjectRules([{ type: 'mutating', name: 'platform-sample' }, { type: 'validating', name: 'platform-sample' }]);
    expect(inject).toEqual([
      { scope: 'cluster', apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['platform-sample'], verbs: ['get', 'patch'] },
      { scope: 'cluster', apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], resourceNames: ['platform-sample'], verbs: ['get', 'patch'] },
    ]);
    expect(ctl.rules).toEqual([...RULES, ...leaseRules('sample'), ...inject]);
    const sampleObjects = objects.filter((o) => o.metadata?.labels?.['app.kubernetes.io/instance'] === 'sample');
    expect(grantedRules(sampleObjects)).toEqual(declaredRules([...RULES, ...leaseRules('sample'), ...inject], 'platform'));
    // Nothing grants the configurations without resourceNames.
    const clusterRole = byKind(sampleObjects, 'ClusterRole')[0];
    for (const r of clusterRole.rules.filter((x: any) => x.apiGroups.includes('admissionregistration.k8s.io'))) expect(r.resourceNames).toEqual(['platform-sample']);
  });

  it('only the configuration types it has: a mutating webhook alone', () => {
    const { ctl, objects } = stack({ webhooks: [MUTATE] });
    const { values } = parseFlags(FLAGS, sampleContainer(objects).containers[0].args.slice(1), { NAMESPACE: 'platform' });
    expect(values['webhook-ca-inject']).toBe('mutating:platform-sample');
    expect(ctl.rules.filter((r) => r.apiGroups.includes('admissionregistration.k8s.io')).map((r) => r.resources)).toEqual([['mutatingwebhookconfigurations']]);
  });

  it('a generator watching every namespace will do; other certificates get neither the flag nor the RBAC', () => {
    expect(() => stack({ watch: ['*'] })).not.toThrow();
    const c = new Chart(Testing.app(), 'stack', { namespace: 'platform' });
    const ctl = new PlatformController(c, 'sample', {
      controller: 'sample',
      flags: FLAGS,
      args: { target: 'x' },
      rules: RULES,
      webhooks: { webhooks: [MUTATE], certificate: WebhookCertificate.fromCertManager({ name: 'ca' }) },
    });
    expect(ctl.args.some((a) => a.startsWith('--webhook-ca-inject'))).toBe(false);
    expect(ctl.rules).toEqual([...RULES, ...leaseRules('sample')]);
  });

  it('refuses a generator that does not watch the controller\'s namespace, naming the field', () => {
    const attempt = () => stack({ watch: ['team-a', 'team-b'] });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow('stack/sample: webhooks.certificate: the secret generator stack/gen does not watch namespace "platform" (it watches "team-a", "team-b"): add it to its watchNamespaces');
  });

  it('refuses what is not a secret generator, and bad extra names, naming the option', () => {
    const c = new Chart(Testing.app(), 'stack', { namespace: 'platform' });
    const other = new PlatformController(c, 'other', { controller: 'other', flags: FLAGS, args: { target: 'x' }, rules: RULES });
    expect(() => WebhookCertificate.generated(other as never)).toThrow(/^WebhookCertificate\.generated: generator: must be a SecretGenerator construct/);
    expect(() => WebhookCertificate.generated(undefined as never)).toThrow(/generator: must be a SecretGenerator construct, not undefined/);
    const gen = new SecretGenerator(c, 'gen');
    expect(() => WebhookCertificate.generated(gen, { ipAddresses: ['localhost'] })).toThrow(/^WebhookCertificate\.generated: ipAddresses: "localhost" is not an IPv4 or IPv6 address/);
    expect(() => WebhookCertificate.generated(gen, { dnsNames: ['bad name'] })).toThrow(/^WebhookCertificate\.generated: dnsNames: "bad name" is not a DNS name/);
    expect(() => WebhookCertificate.generated(gen, { validityDays: 0 })).toThrow(/^WebhookCertificate\.generated: validityDays:/);
  });

  it('the webhook-ca-inject flag is the construct\'s to set', () => {
    expect(() => stack({ sample: { args: { target: 'x', 'webhook-ca-inject': 'mutating:x' } } })).toThrow(/args\.webhook-ca-inject: is set by PlatformController/);
  });
});
