import { Chart, Testing } from 'cdk8s';
import * as plus from 'cdk8s-plus-28';
import { applyToContainer, applyToPodSpec, ModuleOutputs } from '../../../lib/contract/index.js';
import { activemqHcl, mongodbHcl, nfsHcl } from '../../fixtures/modules.js';

const outputs = () =>
  ModuleOutputs.merge([ModuleOutputs.fromObject('activemq', activemqHcl), ModuleOutputs.fromObject('mongodb', mongodbHcl), ModuleOutputs.fromObject('nfs', nfsHcl)]);

describe('applyToPodSpec', () => {
  type Spec = { containers: Array<Record<string, any> & { name: string }>; volumes?: Array<Record<string, any> & { name: string }> };
  const spec = (): Spec => ({
    containers: [
      { name: 'agent', image: 'agent', env: [{ name: 'OWN', value: '1' }] },
      { name: 'worker', image: 'worker' },
    ],
    volumes: [{ name: 'sockets', emptyDir: {} }],
  });

  it('adds env, envFrom and mounts to the chosen containers and volumes to the pod', () => {
    const parts = outputs().toPodSpecParts();
    const result = applyToPodSpec(spec(), parts, { containers: ['agent'] });
    expect(result.containers[0].env[0]).toEqual({ name: 'OWN', value: '1' });
    expect(result.containers[0].env.slice(1)).toEqual(parts.env);
    expect(result.containers[0].envFrom).toEqual(parts.envFrom);
    expect(result.containers[0].volumeMounts).toEqual(parts.volumeMounts);
    expect(result.containers[1]).toEqual({ name: 'worker', image: 'worker' });
    expect(result.volumes!.map((v) => v.name)).toEqual(['sockets', ...parts.volumes.map((v) => v.name)]);
  });

  it('never overrides what the pod already has', () => {
    const parts = ModuleOutputs.of('m', { env: { OWN: '2' } }).toPodSpecParts();
    expect(() => applyToPodSpec(spec(), parts)).toThrow(/container "agent" already sets env "OWN"/);
    const vol = ModuleOutputs.of('m', { mountVolume: { sockets: { emptyDir: {}, path: '/s' } } }).toPodSpecParts();
    expect(() => applyToPodSpec(spec(), vol)).toThrow(/already has a volume named "sockets"/);
    expect(() => applyToPodSpec(spec(), parts, { containers: ['nope'] })).toThrow(/no container named "nope"/);
  });
});

describe('applyToContainer (cdk8s-plus-28)', () => {
  it('synthesizes the same env, envFrom, volumes and mounts as the raw parts', () => {
    const chart = new Chart(Testing.app(), 'test');
    const deployment = new plus.Deployment(chart, 'control-plane', { containers: [{ name: 'main', image: 'core', portNumber: 1080 }] });
    const o = outputs();
    applyToContainer(chart, deployment.containers[0], o);
    const [manifest] = Testing.synth(chart);
    const pod = manifest.spec.template.spec;
    const parts = o.toPodSpecParts();
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    expect([...pod.containers[0].env].sort(byName)).toEqual([...parts.env].sort(byName));
    expect(pod.containers[0].envFrom).toEqual(parts.envFrom);
    // cdk8s-plus spells out `readOnly: false` on claims, which is Kubernetes' default.
    const dropFalse = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'readOnly' && x === false ? undefined : x)));
    expect(dropFalse([...pod.volumes].sort(byName))).toEqual(parts.volumes);
    const mounts = pod.containers[0].volumeMounts.map((m: Record<string, unknown>) => ({ ...m, readOnly: m.readOnly || undefined }));
    expect(mounts.map((m: { mountPath: string }) => m.mountPath).sort()).toEqual(parts.volumeMounts.map((m) => m.mountPath).sort());
    expect(mounts.find((m: { mountPath: string }) => m.mountPath === '/amqp').readOnly).toBe(true);
  });

  it('creates the claims of mount_volume_claim', () => {
    const chart = new Chart(Testing.app(), 'test');
    const deployment = new plus.Deployment(chart, 'd', { containers: [{ name: 'main', image: 'x', portNumber: 80 }] });
    applyToContainer(chart, deployment.containers[0], ModuleOutputs.of('cache', { mountVolumeClaim: { data: { path: '/data', size: '5Gi' } } }), { claimNamePrefix: 'd' });
    const claim = Testing.synth(chart).find((o) => o.kind === 'PersistentVolumeClaim');
    expect(claim.metadata.name).toBe('d-data');
    expect(claim.spec.resources.requests.storage).toBe('5Gi');
  });
});
