import { ModuleOutputs } from '../../../lib/contract/index.js';
import { activemqHcl, mongodbHcl, nfsHcl, s3Hcl, terraformFixture } from '../../fixtures/modules.js';

const envOf = (m: ModuleOutputs) => Object.fromEntries(m.toPodSpecParts().env.map((e) => [e.name, e.value ?? e.valueFrom]));

describe('input forms', () => {
  it('reads TypeScript props, HCL objects and terraform output to the same result', () => {
    const props = ModuleOutputs.of('mq', {
      env: { Amqp__Port: 5672 },
      envSecret: ['activemq-user-credentials'],
      mountSecret: { certificate: { secret: 'activemq', path: '/amqp', mode: '0644', subPath: 'ca' } },
    });
    const hcl = ModuleOutputs.fromObject('mq', {
      env: { Amqp__Port: 5672 },
      env_secret: ['activemq-user-credentials'],
      mount_secret: { certificate: { secret: 'activemq', path: '/amqp', mode: '0644', subpath: 'ca' } },
    });
    const tf = ModuleOutputs.fromTerraformOutput('mq', {
      env: { value: { Amqp__Port: 5672 }, type: ['object', {}], sensitive: false },
      env_secret: { value: ['activemq-user-credentials'], type: ['tuple', ['string']], sensitive: false },
      mount_secret: { value: { certificate: { secret: 'activemq', path: '/amqp', mode: '0644', sub_path: 'ca' } }, type: 'object', sensitive: false },
      url: { value: 'amqp://x', type: 'string', sensitive: false },
    });
    expect(hcl.toPodSpecParts()).toEqual(props.toPodSpecParts());
    expect(tf.toPodSpecParts()).toEqual(props.toPodSpecParts());
    expect(props.toPodSpecParts().volumeMounts).toEqual([{ name: 'certificate', mountPath: '/amqp', subPath: 'ca', readOnly: true }]);
  });

  it('ignores outputs outside the contract and null outputs', () => {
    const m = ModuleOutputs.fromObject('mq', { host: 'h', url: 'u', endpoints: { secret: 'x' }, env: { A: 'a' }, mount_secret: null });
    expect(m.toPodSpecParts()).toEqual({ env: [{ name: 'A', value: 'a' }], envFrom: [], volumes: [], volumeMounts: [], persistentVolumeClaims: [] });
  });

  it('turns numbers and booleans in env into strings and keeps names exactly', () => {
    const env = envOf(ModuleOutputs.fromObject('mix', { env: { Port: 5671, Tls: true, Off: false, Ratio: 0.5, MongoDB_ConnectionString: 'x' } }));
    expect(env).toEqual({ Port: '5671', Tls: 'true', Off: 'false', Ratio: '0.5', MongoDB_ConnectionString: 'x' });
  });

  it.each([
    ['600', 0o600],
    ['0644', 420],
    ['0600', 384],
    ['7', 7],
    [420, 420],
    [0, 0],
  ])('reads mode %p as %p', (mode, expected) => {
    const parts = ModuleOutputs.of('m', { mountConfigmap: { c: { configmap: 'cm', path: '/c', mode, items: { 'a.txt': { field: 'a', mode } } } } }).toPodSpecParts();
    expect(parts.volumes[0]).toEqual({ name: 'c', configMap: { name: 'cm', defaultMode: expected, items: [{ key: 'a', path: 'a.txt', mode: expected }] } });
  });

  it('accepts modules produced with count: a list of module objects, or outputs as lists', () => {
    const whole = ModuleOutputs.fromObject('cache', [{ env: { A: '1' } }, { env: { B: '2' }, env_secret: ['s2'] }]);
    expect(whole.modules).toEqual(['cache[0]', 'cache[1]']);
    expect(envOf(whole)).toEqual({ A: '1', B: '2' });
    const splat = ModuleOutputs.fromObject('cache', {
      env: [{ A: '1' }, { B: '2' }],
      env_secret: [['s1'], ['s2']],
      mount_secret: [{ a: { secret: 'a', path: '/a' } }, { b: { secret: 'b', path: '/b' } }],
    });
    expect(envOf(splat)).toEqual({ A: '1', B: '2' });
    expect(splat.toPodSpecParts().envFrom).toEqual([{ secretRef: { name: 's1' } }, { secretRef: { name: 's2' } }]);
    expect(splat.toPodSpecParts().volumeMounts.map((m) => m.mountPath)).toEqual(['/a', '/b']);
  });

  it('reports a conflict between two instances of a counted module by index', () => {
    expect(() => ModuleOutputs.fromObject('cache', { env: [{ A: '1' }, { A: '2' }] })).toThrow(/modules "cache\[0\]" and "cache\[1\]": \/env\/A/);
  });
});

describe('realistic modules', () => {
  it('ActiveMQ: number port, env_secret, certificate secret with mode 0644', () => {
    const parts = ModuleOutputs.fromObject('activemq', activemqHcl).toPodSpecParts();
    expect(parts.env.find((e) => e.name === 'Amqp__Port')).toEqual({ name: 'Amqp__Port', value: '5672' });
    expect(parts.envFrom).toEqual([{ secretRef: { name: 'activemq-user-credentials' } }]);
    expect(parts.volumes).toEqual([{ name: 'certificate', secret: { secretName: 'activemq', defaultMode: 420 } }]);
    expect(parts.volumeMounts).toEqual([{ name: 'certificate', mountPath: '/amqp', readOnly: true }]);
  });

  it('MongoDB: user and password from a Secret, two certificate secrets', () => {
    const parts = ModuleOutputs.fromObject('mongodb', mongodbHcl).toPodSpecParts();
    expect(parts.env.filter((e) => e.valueFrom)).toEqual([
      { name: 'MongoDB__Password', valueFrom: { secretKeyRef: { name: 'mongodb-user', key: 'password' } } },
      { name: 'MongoDB__User', valueFrom: { secretKeyRef: { name: 'mongodb-user', key: 'username' } } },
    ]);
    expect(parts.volumes.map((v) => v.name)).toEqual(['mongo-certificate', 'mongo-certificate-helm']);
    expect(parts.volumeMounts.map((m) => m.mountPath)).toEqual(['/mongodb/certificate', '/mongodb/certs']);
  });

  it('S3: booleans become strings', () => {
    const env = envOf(ModuleOutputs.fromObject('s3', s3Hcl));
    expect(env.S3__MustForcePathStyle).toBe('true');
    expect(env.S3__UseChunkEncoding).toBe('false');
  });

  it('NFS: a claim mounted writable', () => {
    const parts = ModuleOutputs.fromObject('nfs', nfsHcl).toPodSpecParts();
    expect(parts.volumes).toEqual([{ name: 'nfs-nfsvolume', persistentVolumeClaim: { claimName: 'nfsvolume' } }]);
    expect(parts.volumeMounts).toEqual([{ name: 'nfs-nfsvolume', mountPath: '/local_storage' }]);
  });

  it.each(['activemq', 'mongodb', 'nfs'] as const)('reads the real ArmoniK.Infra %s terraform output', (name) => {
    const parts = ModuleOutputs.fromTerraformOutput(name, terraformFixture(name)).toPodSpecParts();
    const doc = JSON.parse(terraformFixture(name));
    expect(parts.env.filter((e) => e.value !== undefined).map((e) => e.name).sort()).toEqual(Object.keys(doc.env.value).sort());
    for (const e of parts.env) if (e.value !== undefined) expect(e.value).toBe(String(doc.env.value[e.name]));
  });

  it('the real ActiveMQ output keeps the string port and mounts its CA with mode 420', () => {
    const parts = ModuleOutputs.fromTerraformOutput('activemq', terraformFixture('activemq')).toPodSpecParts();
    expect(parts.env.find((e) => e.name === 'Amqp__Port')?.value).toBe('5672');
    expect(parts.volumes).toEqual([{ name: 'certificate', secret: { secretName: 'activemq', defaultMode: 420 } }]);
  });
});
