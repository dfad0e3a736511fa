import { ModuleOutputs, ModuleOutputsError } from '../../../lib/contract/index.js';
import { activemqHcl, mongodbHcl, nfsHcl, s3Hcl } from '../../fixtures/modules.js';

const mq = () => ModuleOutputs.fromObject('activemq', activemqHcl);
const mongo = () => ModuleOutputs.fromObject('mongodb', mongodbHcl);

function conflictOf(f: () => unknown): ModuleOutputsError {
  try {
    f();
  } catch (e) {
    if (e instanceof ModuleOutputsError) return e;
    throw e;
  }
  throw new Error('expected a conflict');
}

describe('merge', () => {
  it('unions sets in first-seen order and accepts identical values twice', () => {
    const a = ModuleOutputs.of('a', { env: { SHARED: 'x' }, envSecret: ['s1', 's2'], envConfigmap: ['c1'] });
    const b = ModuleOutputs.of('b', { env: { SHARED: 'x' }, envSecret: ['s2', 's3'] });
    const parts = ModuleOutputs.merge([a, b]).toPodSpecParts();
    expect(parts.env).toEqual([{ name: 'SHARED', value: 'x' }]);
    expect(parts.envFrom).toEqual([
      { configMapRef: { name: 'c1' } },
      { secretRef: { name: 's1' } },
      { secretRef: { name: 's2' } },
      { secretRef: { name: 's3' } },
    ]);
  });

  it('names both modules when an env var gets two values', () => {
    const e = conflictOf(() => ModuleOutputs.merge([mongo(), ModuleOutputs.of('mongodb-atlas', { env: { MongoDB__Host: 'atlas.example.com' } })]));
    expect(e.module).toBe('mongodb-atlas');
    expect(e.conflictsWith).toBe('mongodb');
    expect(e.path).toBe('/env/MongoDB__Host');
    expect(e.message).toMatch(/modules "mongodb" and "mongodb-atlas"/);
    expect(e.message).toMatch(/onConflict: 'last-wins'/);
  });

  it('refuses an env var set literally by one module and from a Secret by another', () => {
    const e = conflictOf(() => ModuleOutputs.merge([ModuleOutputs.of('a', { env: { TOKEN: 'x' } }), ModuleOutputs.of('b', { envFromSecret: { TOKEN: { secret: 's', field: 't' } } })]));
    expect([e.module, e.conflictsWith, e.path]).toEqual(['b', 'a', '/env_from_secret/TOKEN']);
    expect(e.message).toMatch(/set to "x" by "a" but read from Secret "s" key "t" by "b"/);
  });

  it('refuses two different volumes at one path, trailing slashes included', () => {
    const rabbit = ModuleOutputs.of('rabbitmq', { mountSecret: { certificate: { secret: 'rabbitmq', path: '/amqp/' } } });
    const e = conflictOf(() => ModuleOutputs.merge([mq(), rabbit]));
    expect([e.module, e.conflictsWith, e.path]).toEqual(['rabbitmq', 'activemq', '/mount_secret/certificate/path']);
    expect(e.message).toMatch(/two different volumes are mounted at "\/amqp": Secret "activemq" by "activemq" and Secret "rabbitmq" by "rabbitmq"/);
  });

  it('refuses one env var read from two different Secret or ConfigMap references; the same reference twice is fine', () => {
    const fromSecret = (module: string, secret: string, field: string) => ModuleOutputs.of(module, { envFromSecret: { TOKEN: { secret, field } } });
    const otherSecret = conflictOf(() => ModuleOutputs.merge([fromSecret('a', 's1', 't'), fromSecret('b', 's2', 't')]));
    expect([otherSecret.module, otherSecret.conflictsWith, otherSecret.path]).toEqual(['b', 'a', '/env_from_secret/TOKEN']);
    expect(otherSecret.message).toMatch(/read from Secret "s1" key "t" by "a" but read from Secret "s2" key "t" by "b"/);
    const otherKey = conflictOf(() => ModuleOutputs.merge([fromSecret('a', 's1', 't'), fromSecret('b', 's1', 'u')]));
    expect(otherKey.message).toMatch(/read from Secret "s1" key "t" by "a" but read from Secret "s1" key "u" by "b"/);
    const fromConfigMap = ModuleOutputs.of('c', { envFromConfigmap: { TOKEN: { configmap: 's1', field: 't' } } });
    const otherKind = conflictOf(() => ModuleOutputs.merge([fromSecret('a', 's1', 't'), fromConfigMap]));
    expect(otherKind.message).toMatch(/read from Secret "s1" key "t" by "a" but read from ConfigMap "s1" key "t" by "c"/);
    const cm = (module: string, configmap: string, field: string) => ModuleOutputs.of(module, { envFromConfigmap: { TOKEN: { configmap, field } } });
    expect(conflictOf(() => ModuleOutputs.merge([cm('a', 'c1', 'k'), cm('b', 'c2', 'k')])).path).toBe('/env_from_configmap/TOKEN');
    expect(conflictOf(() => ModuleOutputs.merge([cm('a', 'c1', 'k'), cm('b', 'c1', 'l')])).path).toBe('/env_from_configmap/TOKEN');
    expect(ModuleOutputs.merge([fromSecret('a', 's1', 't'), fromSecret('b', 's1', 't')]).toPodSpecParts().env).toEqual([
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's1', key: 't' } } },
    ]);
    expect(ModuleOutputs.merge([cm('a', 'c1', 'k'), cm('b', 'c1', 'k')]).toPodSpecParts().env).toHaveLength(1);
  });

  it('refuses one volume mounted at one path with another subPath or readOnly; the same mount twice is fine', () => {
    const secretAt = (module: string, subPath?: string) =>
      ModuleOutputs.of(module, { mountSecret: { certs: { secret: 'ca', path: '/certs', ...(subPath === undefined ? {} : { subPath }) } } });
    const sub = conflictOf(() => ModuleOutputs.merge([secretAt('a', 'ca.pem'), secretAt('b', 'other.pem')]));
    expect([sub.module, sub.conflictsWith, sub.path]).toEqual(['b', 'a', '/mount_secret/certs/path']);
    expect(sub.message).toMatch(/Secret "ca" is mounted at "\/certs" read-only, subPath "ca.pem" by "a" but read-only, subPath "other.pem" by "b"/);
    const whole = conflictOf(() => ModuleOutputs.merge([secretAt('a'), secretAt('b', 'ca.pem')]));
    expect(whole.message).toMatch(/read-only, whole by "a" but read-only, subPath "ca.pem" by "b"/);
    const claimAt = (module: string, readOnly: boolean) => ModuleOutputs.of(module, { mountVolume: { data: { path: '/data', claimName: 'shared', readOnly } } });
    const ro = conflictOf(() => ModuleOutputs.merge([claimAt('a', false), claimAt('b', true)]));
    expect([ro.module, ro.conflictsWith, ro.path]).toEqual(['b', 'a', '/mount_volume/data/path']);
    expect(ro.message).toMatch(/claim "shared" is mounted at "\/data" writable, whole by "a" but read-only, whole by "b"/);
    expect(ModuleOutputs.merge([secretAt('a', 'ca.pem'), secretAt('b', 'ca.pem')]).toPodSpecParts().volumeMounts).toHaveLength(1);
    expect(ModuleOutputs.merge([claimAt('a', true), claimAt('b', true)]).toPodSpecParts().volumeMounts).toEqual([
      { name: 'data', mountPath: '/data', readOnly: true },
    ]);
  });

  it('lets the later module win when asked to', () => {
    const atlas = ModuleOutputs.of('atlas', { env: { MongoDB__Host: 'atlas' }, mountSecret: { ca: { secret: 'atlas-ca', path: '/mongodb/certs' } } });
    const parts = ModuleOutputs.merge([mongo(), atlas], { onConflict: 'last-wins' }).toPodSpecParts();
    expect(parts.env.find((e) => e.name === 'MongoDB__Host')?.value).toBe('atlas');
    expect(parts.volumeMounts.find((m) => m.mountPath === '/mongodb/certs')?.name).toBe('ca');
    expect(parts.volumes.some((v) => (v.secret as { secretName: string } | undefined)?.secretName === 'mongodb')).toBe(false);
  });

  it('last-wins keeps one volume per path; a conflict names the first module that set the value', () => {
    const a = ModuleOutputs.of('a', { env: { X: '1', Y: 'y' }, mountSecret: { s: { secret: 's', path: '/s' } }, mountConfigmap: { t: { configmap: 't', path: '/t' } } });
    const b = ModuleOutputs.of('b', { env: { X: '2' }, mountSecret: { s: { secret: 'other', path: '/s' } } });
    const parts = ModuleOutputs.merge([a, b], { onConflict: 'last-wins' }).toPodSpecParts();
    expect(parts.volumeMounts.map((m) => [m.mountPath, m.name])).toEqual([['/s', 's'], ['/t', 't']]);
    expect(parts.volumes.map((v) => (v.secret as { secretName?: string } | undefined)?.secretName ?? v.name)).toEqual(['s', 't'].map((n) => (n === 's' ? 'other' : 't')));
    expect(parts.env).toEqual([{ name: 'X', value: '2' }, { name: 'Y', value: 'y' }]);
    const c = ModuleOutputs.of('c', { env: { Y: 'y' } });
    const d = ModuleOutputs.of('d', { env: { Y: 'other' } });
    const e = conflictOf(() => ModuleOutputs.merge([a, c, d]));
    expect([e.module, e.conflictsWith]).toEqual(['d', 'a']);
    const m1 = ModuleOutputs.of('m1', { mountSecret: { s: { secret: 's', path: '/s' } } });
    const m2 = ModuleOutputs.of('m2', { mountSecret: { s: { secret: 's', path: '/s' } } });
    const m3 = ModuleOutputs.of('m3', { mountSecret: { s: { secret: 'x', path: '/s' } } });
    expect(conflictOf(() => ModuleOutputs.merge([m1, m2, m3])).conflictsWith).toBe('m1');
  });

  it('names each kind of volume in a mount conflict', () => {
    const at = (module: string, props: Parameters<typeof ModuleOutputs.of>[1]) => ModuleOutputs.of(module, props);
    const kinds: Array<[Parameters<typeof ModuleOutputs.of>[1], string]> = [
      [{ mountConfigmap: { v: { configmap: 'cm', path: '/v' } } }, 'ConfigMap "cm"'],
      [{ mountSecret: { v: { secret: 'sec', path: '/v' } } }, 'Secret "sec"'],
      [{ mountVolume: { v: { path: '/v', claimName: 'pvc' } } }, 'claim "pvc"'],
      [{ mountVolume: { v: { path: '/v', nfs: { server: 'nfs.local', path: '/export' } } } }, 'NFS nfs.local:/export'],
      [{ mountVolume: { v: { path: '/v', emptyDir: {} } } }, 'an emptyDir'],
      [{ mountVolumeClaim: { v: { path: '/v', size: '1Gi' } } }, 'a new claim "v"'],
    ];
    for (const [i, [props, name]] of kinds.entries()) {
      const [otherProps, otherName] = kinds[(i + 1) % kinds.length];
      const e = conflictOf(() => ModuleOutputs.merge([at('a', props), at('b', otherProps)]));
      expect(e.message).toContain(`two different volumes are mounted at "/v": ${name} by "a" and ${otherName} by "b"`);
    }
    // Claims to create under different keys are two claims, even when they look alike.
    const claim = (module: string, key: string) => ModuleOutputs.of(module, { mountVolumeClaim: { [key]: { path: '/data', size: '1Gi' } } });
    expect(conflictOf(() => ModuleOutputs.merge([claim('a', 'one'), claim('b', 'two')])).message).toContain('a new claim "one" by "a" and a new claim "two" by "b"');
    expect(ModuleOutputs.merge([claim('a', 'one'), claim('b', 'one')]).toPodSpecParts().volumeMounts).toHaveLength(1);
  });

  it('rejects an unknown conflict policy', () => {
    expect(() => ModuleOutputs.merge([mq(), mongo()], { onConflict: 'first-wins' as never })).toThrow(/onConflict: must be 'error' or 'last-wins'/);
  });

  it('merges module constructs (IModule) and merged outputs alike', () => {
    const storage = ModuleOutputs.merge([{ outputs: mongo() }, ModuleOutputs.fromObject('nfs', nfsHcl)]);
    const all = ModuleOutputs.merge([storage, mq(), ModuleOutputs.fromObject('s3', s3Hcl)]);
    expect(all.modules).toEqual(['mongodb', 'nfs', 'activemq', 's3']);
    expect(() => ModuleOutputs.merge([{} as never])).toThrow(/modules\[0\].*neither ModuleOutputs nor a module/);
  });

  it('does not change its inputs', () => {
    const a = mq();
    const before = a.toPodSpecParts();
    ModuleOutputs.merge([a, mongo()]);
    before.env.push({ name: 'MUTATED', value: '1' });
    expect(a.toPodSpecParts().env.some((e) => e.name === 'MUTATED')).toBe(false);
  });
});
