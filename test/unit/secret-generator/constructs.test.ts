import { Chart, Duration, Testing } from 'cdk8s';
import {
  GENERATE_LABEL,
  GeneratedSecret,
  SPEC_ANNOTATION,
  SecretGenerator,
  SecretValue,
  type GeneratedSecretProps,
} from '../../../constructs/secret-generator/index.js';
import { parseGenerateSpec } from '../../../lib/api/secret-generator/index.js';
import { parseFlags } from '../../../runtime/kit/flags.js';
import { SECRET_GENERATOR_FLAGS, optionsFromFlags } from '../../../runtime/secret-generator/flags.js';

const chart = () => new Chart(Testing.app(), 'stack', { namespace: 'armonik' });
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);

function secret(props: Partial<GeneratedSecretProps> & { id?: string } = {}): any {
  const c = chart();
  const { id, ...rest } = props;
  new GeneratedSecret(c, id ?? 'creds', { data: { password: SecretValue.random() }, ...rest });
  return Testing.synth(c)[0];
}

describe('GeneratedSecret', () => {
  it('synthesizes a Secret without data: the label and the spec annotation (sorted JSON)', () => {
    const c = chart();
    const s = new GeneratedSecret(c, 'mongodb-user', {
      data: {
        username: SecretValue.value('admin'),
        password: SecretValue.random({ length: 32, charset: 'base64url' }),
        uri: SecretValue.template('mongodb://{{key:username}}:{{key:password}}@mongodb:27017'),
        token: SecretValue.fromSecret('other', 'token'),
      },
      labels: { team: 'a' },
      annotations: { 'example.com/note': 'x' },
    });
    const [obj] = Testing.synth(c);
    expect(obj).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'mongodb-user',
        namespace: 'armonik',
        labels: { [GENERATE_LABEL]: 'true', team: 'a' },
        annotations: {
          'example.com/note': 'x',
          [SPEC_ANNOTATION]:
            '{"keys":{"password":{"random":{"charset":"base64url","length":32}},"token":{"template":"{{secret:other/token}}"},' +
            '"uri":{"template":"mongodb://{{key:username}}:{{key:password}}@mongodb:27017"},"username":{"value":"admin"}}}',
        },
      },
    });
    expect(s.keys).toEqual(['password', 'token', 'uri', 'username']);
    expect(s.name).toBe('mongodb-user');
    expect(s.namespace).toBe('armonik');
    expect(s.apiObject.kind).toBe('Secret');
    // The controller reads what the construct writes.
    expect(parseGenerateSpec(obj.metadata.annotations[SPEC_ANNOTATION], { selfName: 'mongodb-user' }).order).toContain('uri');
  });

  it('is deterministic: the same props give the same bytes whatever their order', () => {
    const a = secret({ data: { b: SecretValue.random(), a: SecretValue.value('x') } });
    const b = secret({ data: { a: SecretValue.value('x'), b: SecretValue.random() } });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('certificates: a CA and a leaf issued by it; a keystore; kubernetes.io/tls gets empty placeholders', () => {
    const c = chart();
    const ca = new GeneratedSecret(c, 'armonik-ca', {
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': SecretValue.certificate('cert'), 'tls.key': SecretValue.certificate('key') },
      certificate: { commonName: 'armonik-ca', isCA: true, validityDays: 7300, keySize: 4096 },
    });
    new GeneratedSecret(c, 'activemq', {
      data: { 'keystore.p12': SecretValue.pkcs12('password'), password: SecretValue.random(), 'ca.crt': SecretValue.certificate('ca') },
      certificate: { commonName: 'activemq.armonik.svc', dnsNames: ['activemq'], ipAddresses: ['127.0.0.1'], issuer: ca },
    });
    const [caObj, mq] = Testing.synth(c);
    expect(caObj.type).toBe('kubernetes.io/tls');
    expect(caObj.data).toEqual({ 'tls.crt': '', 'tls.key': '' });
    expect(JSON.parse(caObj.metadata.annotations[SPEC_ANNOTATION]).certificate).toEqual({ commonName: 'armonik-ca', isCA: true, keySize: 4096, validityDays: 7300 });
    expect(mq.data).toBeUndefined();
    expect(JSON.parse(mq.metadata.annotations[SPEC_ANNOTATION]).certificate).toEqual({ commonName: 'activemq.armonik.svc', dnsNames: ['activemq'], ipAddresses: ['127.0.0.1'], issuer: 'armonik-ca' });
  });

  it('kubernetes.io/basic-auth: a literal username goes into the manifest (the API requires one of its keys), else an empty placeholder', () => {
    const lit = secret({ type: 'kubernetes.io/basic-auth', data: { username: SecretValue.value('admin'), password: SecretValue.random() } });
    expect(lit.data).toEqual({ username: Buffer.from('admin').toString('base64') });
    const gen = secret({ type: 'kubernetes.io/basic-auth', data: { password: SecretValue.random() } });
    expect(gen.data).toEqual({ password: '' });
  });

  // Errors name the construct path and the prop.
  it.each<[string, () => unknown, RegExp]>([
    ['id not a name', () => secret({ id: 'My_Secret' }), /^stack\/My_Secret: name: not given, and the construct id "My_Secret" is not a DNS-1123 subdomain/],
    ['bad name', () => secret({ name: 'Bad' }), /^stack\/creds: name: "Bad" is not a valid Secret name \(DNS-1123 subdomain/],
    ['bad namespace', () => secret({ namespace: 'a.b' }), /^stack\/creds: namespace: "a\.b" is not a DNS-1123 label/],
    ['no keys', () => secret({ data: {} }), /^stack\/creds: data: names no key/],
    ['bad key', () => secret({ data: { 'a/b': SecretValue.random() } }), /^stack\/creds: data\["a\/b"\]: "a\/b" is not a valid ConfigMap\/Secret key/],
    ['length', () => secret({ data: { p: SecretValue.random({ length: 0 }) } }), /^stack\/creds: data\["p"\]: random\.length: 0 is not an integer from 1 to 256/],
    ['charset', () => secret({ data: { p: SecretValue.random({ charset: 'latin' as never }) } }), /^stack\/creds: data\["p"\]: random\.charset: "latin" is not one of/],
    ['placeholder syntax', () => secret({ data: { u: SecretValue.template('{{ key:p }}') } }), /^stack\/creds: data\["u"\]: template: "\{\{ key:p \}\}" at offset 0 is not a placeholder/],
    ['unknown key in template', () => secret({ data: { u: SecretValue.template('{{key:pw}}'), p: SecretValue.random() } }), /^stack\/creds: data\["u"\]: template refers to \{\{key:pw\}\}, which is not a key of this Secret/],
    ['cycle', () => secret({ data: { a: SecretValue.template('{{key:b}}'), b: SecretValue.template('{{key:a}}') } }), /^stack\/creds: data\["a"\]: dependency cycle a -> b -> a/],
    ['certificate part without certificate', () => secret({ data: { c: SecretValue.certificate('cert') } }), /^stack\/creds: data\["c"\]: certificate needs the "certificate" block/],
    ['pkcs12 password not a key', () => secret({ data: { ks: SecretValue.pkcs12('pw') }, certificate: { commonName: 'x' } }), /^stack\/creds: data\["ks"\]: pkcs12\.passwordKey "pw" is not a key of this Secret/],
    ['bad keySize', () => secret({ data: { c: SecretValue.certificate('cert') }, certificate: { commonName: 'x', keySize: 1024 as never } }), /^stack\/creds: certificate\.keySize: 1024 is not one of 2048, 3072, 4096/],
    ['bad dns name', () => secret({ data: { c: SecretValue.certificate('cert') }, certificate: { commonName: 'x', dnsNames: ['-x'] } }), /^stack\/creds: certificate\.dnsNames: "-x" is not a DNS name/],
    ['unused certificate', () => secret({ certificate: { commonName: 'x' } }), /^stack\/creds: certificate: no key uses it/],
    ['tls keys', () => secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': SecretValue.certificate('cert') }, certificate: { commonName: 'x' } }), /^stack\/creds: data: type "kubernetes\.io\/tls" requires the keys "tls\.crt" and "tls\.key"; missing "tls\.key"/],
    ['basic-auth keys', () => secret({ type: 'kubernetes.io/basic-auth', data: { token: SecretValue.random() } }), /^stack\/creds: data: type "kubernetes\.io\/basic-auth" requires at least one of the keys "username", "password"/],
    ['unsupported type', () => secret({ type: 'kubernetes.io/ssh-auth' }), /^stack\/creds: type: "kubernetes\.io\/ssh-auth" needs non-empty data when it is created/],
    ['reserved label', () => secret({ labels: { [GENERATE_LABEL]: 'false' } }), /^stack\/creds: labels: "platform-constructs\.io\/generate" is set by GeneratedSecret/],
    ['bad label', () => secret({ labels: { 'a b': 'x' } }), /^stack\/creds: labels: "a b" is not a valid label key/],
    ['reserved annotation', () => secret({ annotations: { [SPEC_ANNOTATION]: '{}' } }), /^stack\/creds: annotations: "platform-constructs\.io\/generate-spec" belongs to the secret generator/],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  it('cross-construct checks: fromSecret key and namespace, issuer is a CA with tls.crt/tls.key', () => {
    const c = chart();
    const other = new GeneratedSecret(c, 'other', { data: { token: SecretValue.random() } });
    expect(() => new GeneratedSecret(c, 'a', { data: { t: SecretValue.fromSecret(other, 'nope') } })).toThrow(/^stack\/a: data\["t"\]: reads key "nope" of stack\/other, which has only "token"/);
    const elsewhere = new GeneratedSecret(c, 'far', { namespace: 'other-ns', data: { token: SecretValue.random() } });
    expect(() => new GeneratedSecret(c, 'b', { data: { t: SecretValue.fromSecret(elsewhere, 'token') } })).toThrow(/^stack\/b: data\["t"\]: reads stack\/far in namespace "other-ns"/);
    expect(new GeneratedSecret(c, 'ok', { data: { t: SecretValue.fromSecret(other, 'token') } }).spec.keys.t).toEqual({ template: '{{secret:other/token}}' });
    const leaf = new GeneratedSecret(c, 'leaf', { data: { 'tls.crt': SecretValue.certificate('cert'), 'tls.key': SecretValue.certificate('key') }, certificate: { commonName: 'leaf' } });
    expect(() => new GeneratedSecret(c, 'd', { data: { c: SecretValue.certificate('cert') }, certificate: { commonName: 'd', issuer: leaf } })).toThrow(
      /^stack\/d: certificate\.issuer: stack\/leaf has no CA certificate/,
    );
    const oddCa = new GeneratedSecret(c, 'odd-ca', { data: { crt: SecretValue.certificate('cert'), key: SecretValue.certificate('key') }, certificate: { commonName: 'ca', isCA: true } });
    expect(() => new GeneratedSecret(c, 'e', { data: { c: SecretValue.certificate('cert') }, certificate: { commonName: 'e', issuer: oddCa } })).toThrow(
      /^stack\/e: certificate\.issuer: stack\/odd-ca must hold its certificate in "tls\.crt"/,
    );
  });
});

describe('SecretGenerator', () => {
  function synth(props: ConstructorParameters<typeof SecretGenerator>[2] = {}) {
    const c = chart();
    const gen = new SecretGenerator(c, 'gen', props);
    return { gen, objects: Testing.synth(c) as any[] };
  }

  it('deploys the controller with secure defaults, watching its own namespace through a Role', () => {
    const { gen, objects } = synth();
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/armonik/secret-generator',
      'NetworkPolicy/armonik/secret-generator',
      'PodDisruptionBudget/armonik/secret-generator',
      'Role/armonik/secret-generator',
      'RoleBinding/armonik/secret-generator',
      'Service/armonik/secret-generator',
      'ServiceAccount/armonik/secret-generator',
    ]);
    expect(gen.watchNamespaces).toEqual(['armonik']);
    const roles = byKind(objects, 'Role');
    // One Role in its own namespace: the watched Secrets and Events, then its Lease.
    expect(roles.map((r) => r.metadata.name)).toEqual(['secret-generator']);
    expect(roles[0].rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['secret-generator'], verbs: ['get', 'update', 'patch'] },
    ]);
    const [dep] = byKind(objects, 'Deployment');
    expect(dep.spec.replicas).toBe(2);
    const pod = dep.spec.template.spec;
    expect(pod.serviceAccountName).toBe('secret-generator');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const ctr = pod.containers[0];
    expect(ctr.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(ctr.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '500m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
    });
    expect(ctr.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(ctr.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(ctr.image).toMatch(/^platform-controllers:/);
    expect(ctr.args).toEqual([
      'secret-generator',
      '--namespaces=armonik',
      '--workers=2',
      '--resync=10m0s',
      '--metrics-port=8080',
      '--leader-election-id=secret-generator',
      '--lease-duration=15s',
      '--renew-deadline=10s',
      '--retry-period=2s',
    ]);
    expect(ctr.env.find((e: any) => e.name === 'NODE_OPTIONS').value).toBe('--max-old-space-size=128');
    expect(byKind(objects, 'ClusterRole')).toEqual([]);
  });

  it('a Role per watched namespace, or a ClusterRole only when all namespaces are asked for explicitly', () => {
    const some = synth({ watchNamespaces: ['team-b', 'team-a'] }).objects;
    // A Role for Secrets in each watched namespace; the Lease's in its own (which it does not watch).
    const roles = byKind(some, 'Role');
    expect(roles.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort()).toEqual(['armonik/secret-generator', 'team-a/secret-generator', 'team-b/secret-generator']);
    expect(roles.find((r) => r.metadata.namespace === 'team-a').rules.map((r: any) => r.resources[0])).toEqual(['secrets', 'events']);
    expect(roles.find((r) => r.metadata.namespace === 'armonik').rules.map((r: any) => r.resources[0])).toEqual(['leases', 'leases']);
    expect(byKind(some, 'RoleBinding').find((b) => b.metadata.namespace === 'team-a').subjects).toEqual([{ kind: 'ServiceAccount', name: 'secret-generator', namespace: 'armonik' }]);
    expect(byKind(some, 'Deployment')[0].spec.template.spec.containers[0].args[1]).toBe('--namespaces=team-a,team-b');
    const all = synth({ watchNamespaces: ['*'] });
    expect(all.gen.watchesAllNamespaces).toBe(true);
    expect(byKind(all.objects, 'ClusterRole').map((r) => r.metadata.name)).toEqual(['armonik-secret-generator']);
    expect(byKind(all.objects, 'Role').map((r) => r.metadata.name)).toEqual(['secret-generator']);
    expect(byKind(all.objects, 'Role')[0].rules.every((r: any) => r.resources[0] === 'leases')).toBe(true);
    expect(byKind(all.objects, 'Deployment')[0].spec.template.spec.containers[0].args.some((a: string) => a.startsWith('--namespaces'))).toBe(false);
  });

  it('the synthesized args parse with the controller flags (construct and runtime agree)', () => {
    for (const props of [{}, { watchNamespaces: ['*'] }, { watchNamespaces: ['x', 'y'], workers: 4, resyncInterval: Duration.minutes(3) }]) {
      const { objects } = synth(props);
      const args: string[] = byKind(objects, 'Deployment')[0].spec.template.spec.containers[0].args;
      const options = optionsFromFlags(parseFlags(SECRET_GENERATOR_FLAGS, args.slice(1), { NAMESPACE: 'armonik', POD_NAME: 'p' }).values);
      const expected = 'watchNamespaces' in props ? (props.watchNamespaces![0] === '*' ? [] : props.watchNamespaces) : ['armonik'];
      expect(options.namespaces).toEqual(expected);
      expect(options.namespace).toBe('armonik');
    }
  });

  it.each<[string, ConstructorParameters<typeof SecretGenerator>[2], RegExp]>([
    ['empty watch list', { watchNamespaces: [] }, /^stack\/gen: watchNamespaces: empty/],
    ['all and names', { watchNamespaces: ['*', 'a'] }, /^stack\/gen: watchNamespaces: '\*' \(all namespaces\) cannot be combined with names/],
    ['bad namespace', { watchNamespaces: ['A'] }, /^stack\/gen: watchNamespaces: "A" is not a DNS-1123 label/],
    ['replicas', { replicas: 0 }, /^stack\/gen: replicas: 0 is not a positive integer$/],
    ['port', { metricsPort: 80 }, /^stack\/gen: metricsPort: 80 is not a port from 1024 to 65535 \(the container runs as non-root\)$/],
    ['workers', { workers: 0 }, /^stack\/gen: workers: 0 is not an integer from 1 to 64$/],
    ['digest', { image: { digest: 'sha256:x' } }, /^stack\/gen: image\.digest: "sha256:x" is not a sha256 digest/],
  ])('rejects %s, naming the construct and the prop', (_n, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
