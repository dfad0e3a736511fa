import { ModuleOutputs } from '../../../lib/contract/index.js';
import { isDns1123Label } from '../../../lib/k8s/index.js';

describe('toPodSpecParts', () => {
  it('sorts literals first, then references, each by name', () => {
    const m = ModuleOutputs.of('m', {
      env: { Z: 'z', A: 'a' },
      envFromSecret: { Y: { secret: 's', field: 'y' } },
      envFromConfigmap: { B: { configmap: 'c', field: 'b' } },
    });
    expect(m.toPodSpecParts().env.map((e) => e.name)).toEqual(['A', 'Z', 'B', 'Y']);
    expect(m.toPodSpecParts().env[2]).toEqual({ name: 'B', valueFrom: { configMapKeyRef: { name: 'c', key: 'b' } } });
  });

  it('derives valid, unique volume names from mount keys', () => {
    const long = 'Certificate_Of_The_Primary_Database_Cluster_In_The_Eu_West_Region_Backup';
    const m = ModuleOutputs.merge([
      ModuleOutputs.of('a', { mountSecret: { [long]: { secret: 'a', path: '/a' }, 'ca.pem': { secret: 'ca', path: '/ca' } } }),
      ModuleOutputs.of('b', { mountSecret: { 'CA.PEM': { secret: 'other-ca', path: '/ca2' } } }),
    ]);
    const names = m.toPodSpecParts().volumes.map((v) => v.name);
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(isDns1123Label(n)).toBe(true);
    expect(names.find((n) => n.startsWith('certificate-of-the'))!.length).toBeLessThanOrEqual(63);
  });

  it('gives two sources with the same key two volumes, named apart by a stable hash', () => {
    const m = ModuleOutputs.merge([
      ModuleOutputs.of('mq', { mountSecret: { certificate: { secret: 'activemq', path: '/amqp' } } }),
      ModuleOutputs.of('db', { mountSecret: { certificate: { secret: 'mongodb', path: '/mongodb' } } }),
    ]);
    const parts = m.toPodSpecParts();
    expect(parts.volumes.map((v) => v.name)).toEqual(['certificate', expect.stringMatching(/^certificate-[0-9a-f]{8}$/)]);
    expect(new Set(parts.volumeMounts.map((v) => v.name)).size).toBe(2);
    expect(m.toPodSpecParts()).toEqual(parts);
  });

  it('mounts one secret twice through a single volume', () => {
    const m = ModuleOutputs.merge([
      ModuleOutputs.of('a', { mountSecret: { ca: { secret: 'shared-ca', path: '/a/ca' } } }),
      ModuleOutputs.of('b', { mountSecret: { ca: { secret: 'shared-ca', path: '/b/ca' } } }),
    ]);
    const parts = m.toPodSpecParts();
    expect(parts.volumes).toEqual([{ name: 'ca', secret: { secretName: 'shared-ca' } }]);
    expect(parts.volumeMounts).toEqual([
      { name: 'ca', mountPath: '/a/ca', readOnly: true },
      { name: 'ca', mountPath: '/b/ca', readOnly: true },
    ]);
  });

  it('renders every mount_volume kind and claims to create', () => {
    const m = ModuleOutputs.of('storage', {
      mountVolume: {
        shared: { claimName: 'nfsvolume', path: '/local_storage' },
        direct: { nfs: { server: '10.0.0.5', path: '/exports/data' }, path: '/data', readOnly: true },
        scratch: { emptyDir: { medium: 'Memory', sizeLimit: '256Mi' }, path: '/scratch' },
      },
      mountVolumeClaim: { cache: { path: '/cache', size: '10Gi', storageClass: 'fast', accessModes: ['ReadWriteMany'], subPath: 'c' } },
    });
    const parts = m.toPodSpecParts({ claimNamePrefix: 'control-plane' });
    expect(parts.volumes).toEqual([
      { name: 'cache', persistentVolumeClaim: { claimName: 'control-plane-cache' } },
      { name: 'direct', nfs: { server: '10.0.0.5', path: '/exports/data' } },
      { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
      { name: 'shared', persistentVolumeClaim: { claimName: 'nfsvolume' } },
    ]);
    expect(parts.volumeMounts).toEqual([
      { name: 'cache', mountPath: '/cache', subPath: 'c' },
      { name: 'direct', mountPath: '/data', readOnly: true },
      { name: 'shared', mountPath: '/local_storage' },
      { name: 'scratch', mountPath: '/scratch' },
    ]);
    expect(parts.persistentVolumeClaims).toEqual([
      { name: 'control-plane-cache', spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '10Gi' } }, storageClassName: 'fast' } },
    ]);
    expect(ModuleOutputs.of('x', { mountVolumeClaim: { d: { path: '/d', size: '1Gi' } } }).toPodSpecParts().persistentVolumeClaims[0].spec.accessModes).toEqual(['ReadWriteOnce']);
  });

  it('is deterministic whatever the key order of the input', () => {
    const a = ModuleOutputs.of('m', { env: { B: '1', A: '2' }, mountSecret: { y: { secret: 'y', path: '/y' }, x: { secret: 'x', path: '/x' } } });
    const b = ModuleOutputs.of('m', { mountSecret: { x: { secret: 'x', path: '/x' }, y: { secret: 'y', path: '/y' } }, env: { A: '2', B: '1' } });
    expect(JSON.stringify(a.toPodSpecParts())).toBe(JSON.stringify(b.toPodSpecParts()));
  });

  it('offers the literal env for ConfigMap-style consumers', () => {
    const m = ModuleOutputs.of('m', { env: { B: 1, A: true }, envFromSecret: { S: { secret: 's', field: 'f' } } });
    expect(m.literalEnv()).toEqual({ A: 'true', B: '1' });
    const rest = m.withoutLiteralEnv().withEnvFromConfigMap('component-env');
    expect(rest.toPodSpecParts().env.map((e) => e.name)).toEqual(['S']);
    expect(rest.toPodSpecParts().envFrom).toEqual([{ configMapRef: { name: 'component-env' } }]);
    expect(() => m.withEnvFromConfigMap('Bad_Name', 'control-plane')).toThrow(/module "control-plane": \/env_configmap: "Bad_Name" is not a valid Kubernetes object name/);
  });
});
