/**
 * The contract under careless or hostile input (issue: nothing wrong is produced silently):
 * every case either renders what its modules declared, or fails with a ValidationError that
 * names the module (or caller) and the field; never a TypeError, a lost value or a wrong mount.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ControlPlane, ModuleEnv } from '../../../constructs/armonik/index.js';
import { TerraformModule } from '../../../constructs/modules/index.js';
import { applyToPodSpec, ModuleOutputs, ModuleOutputsError, PodVolumeNames, type PodSpecParts } from '../../../lib/contract/index.js';
import { shortHash } from '../../../lib/k8s/names.js';
import { ValidationError } from '../../../lib/k8s/validation.js';
import { errorOf } from '../../fixtures/validation.js';


/** Which Secret each mount path really mounts, read back from the rendered parts. */
function secretAt(parts: PodSpecParts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of parts.volumeMounts) {
    const volume = parts.volumes.find((v) => v.name === m.name) as unknown as { secret: { secretName: string } };
    out[m.mountPath] = volume.secret.secretName;
  }
  return out;
}

describe('volume names are unique by construction', () => {
  it('a key that looks like another source\'s hashed name does not capture its mount', () => {
    // The hashed name the second "c" source would get, used as a plain key by a third module.
    const hashed = `c-${shortHash(JSON.stringify({ kind: 'secret', name: 's2' }))}`;
    const merged = ModuleOutputs.merge([
      ModuleOutputs.of('m3', { mountSecret: { [hashed]: { secret: 's3', path: '/a' } } }),
      ModuleOutputs.of('m1', { mountSecret: { c: { secret: 's1', path: '/b' } } }),
      ModuleOutputs.of('m2', { mountSecret: { c: { secret: 's2', path: '/c' } } }),
    ]);
    const parts = merged.toPodSpecParts();
    expect(secretAt(parts)).toEqual({ '/a': 's3', '/b': 's1', '/c': 's2' });
    expect(new Set(parts.volumes.map((v) => v.name)).size).toBe(3);
  });

  it('a pod\'s own volume names are reserved', () => {
    const names = new PodVolumeNames(['tmp']);
    const parts = ModuleOutputs.of('m', { mountSecret: { tmp: { secret: 's', path: '/s' } } }).toPodSpecParts({ volumeNames: names });
    expect(parts.volumes[0].name).toMatch(/^tmp-[0-9a-f]{8}$/);
    expect(() => new PodVolumeNames([1 as unknown as string])).toThrow(ValidationError);
  });

  it('containers rendered with one PodVolumeNames share a source\'s volume and never reuse a name', () => {
    const a = ModuleOutputs.of('a', { mountSecret: { cert: { secret: 'a', path: '/a' } } });
    const b = ModuleOutputs.of('b', { mountSecret: { cert: { secret: 'b', path: '/b' } } });
    const names = new PodVolumeNames();
    const agent = ModuleOutputs.merge([a, b]).toPodSpecParts({ volumeNames: names });
    const worker = b.toPodSpecParts({ volumeNames: names });
    expect(secretAt(agent)).toEqual({ '/a': 'a', '/b': 'b' });
    expect(worker.volumes).toEqual([agent.volumes.find((v) => (v as unknown as { secret: { secretName: string } }).secret.secretName === 'b')]);
  });
});

describe('claims', () => {
  const small = ModuleOutputs.of('small', { mountVolumeClaim: { data: { path: '/small', size: '1Gi' } } });
  const large = ModuleOutputs.of('large', { mountVolumeClaim: { data: { path: '/large', size: '2Gi' } } });

  it('one key, two sizes: an error naming both modules, in one merge and across containers', () => {
    const merged = errorOf(() => ModuleOutputs.merge([small, large])) as ModuleOutputsError;
    expect([merged.module, merged.conflictsWith, merged.path]).toEqual(['large', 'small', '/mount_volume_claim/data']);
    expect(merged.reason).toMatch(/^claim "data" is asked for as 1Gi, ReadWriteOnce by "small" but as 2Gi, ReadWriteOnce by "large"/);
    const names = new PodVolumeNames();
    small.toPodSpecParts({ claimNamePrefix: 'p', volumeNames: names });
    expect(errorOf(() => large.toPodSpecParts({ claimNamePrefix: 'p', volumeNames: names })).message).toMatch(/claim "p-data" is asked for as 1Gi/);
  });

  it('one key, one claim, mounted twice: one claim', () => {
    const again = ModuleOutputs.of('again', { mountVolumeClaim: { data: { path: '/again', size: '1Gi' } } });
    const parts = ModuleOutputs.merge([small, again]).toPodSpecParts();
    expect(parts.persistentVolumeClaims).toHaveLength(1);
    expect(new Set(parts.volumeMounts.map((m) => m.name)).size).toBe(1);
  });

  it('last-wins keeps only the later claim, as Terraform merge() of the maps would', () => {
    const parts = ModuleOutputs.merge([small, large], { onConflict: 'last-wins' }).toPodSpecParts();
    expect(parts.persistentVolumeClaims.map((c) => c.spec.resources.requests.storage)).toEqual(['2Gi']);
    expect(parts.volumeMounts.map((m) => m.mountPath)).toEqual(['/large']);
  });

  it('through conf, the component refuses it instead of dropping the second claim', () => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    expect(errorOf(() => new ControlPlane(c, 'cp', { conf: [small, large] })).message).toMatch(/claim "data" is asked for/);
  });

  it('what the API server refuses: zero size, ReadWriteOncePod with other modes', () => {
    expect(errorOf(() => ModuleOutputs.of('m', { mountVolumeClaim: { d: { path: '/d', size: '0' } } })).message).toBe('module "m": /mount_volume_claim/d/size: "0" must be greater than zero');
    expect(errorOf(() => ModuleOutputs.of('m', { mountVolumeClaim: { d: { path: '/d', size: '0Gi' } } })).field).toBe('/mount_volume_claim/d/size');
    expect(errorOf(() => ModuleOutputs.of('m', { mountVolumeClaim: { d: { path: '/d', size: '1Gi', accessModes: ['ReadWriteOncePod', 'ReadOnlyMany'] } } })).message)
      .toBe('module "m": /mount_volume_claim/d/access_modes: ReadWriteOncePod cannot be combined with other access modes (the API server refuses it)');
    expect(ModuleOutputs.of('m', { mountVolumeClaim: { d: { path: '/d', size: '1Gi', accessModes: ['ReadWriteOncePod'] } } }).mounts).toHaveLength(1);
  });
});

describe('one path has one normal form', () => {
  it.each([
    ['/amqp', '/amqp/.'],
    ['/x/y', '/x/./y'],
    ['/data', '//data/'],
  ])('%s and %s are one mount path', (p1, p2) => {
    const e = errorOf(() => ModuleOutputs.merge([
      ModuleOutputs.of('a', { mountSecret: { c: { secret: 'a', path: p1 } } }),
      ModuleOutputs.of('b', { mountSecret: { c: { secret: 'b', path: p2 } } }),
    ]));
    expect(e.message).toMatch(/two different volumes are mounted at/);
  });

  it('sub paths and item file names are normalized too', () => {
    const m = ModuleOutputs.merge([
      ModuleOutputs.of('a', { mountSecret: { c: { secret: 's', path: '/c', subPath: 'x/./y/', items: { './ca.pem': { field: 'ca' } } } } }),
      ModuleOutputs.of('b', { mountSecret: { c: { secret: 's', path: '/c/.', subPath: 'x/y', items: { 'ca.pem': { field: 'ca' } } } } }),
    ]);
    const parts = m.toPodSpecParts();
    expect(parts.volumeMounts).toEqual([{ name: 'c', mountPath: '/c', subPath: 'x/y', readOnly: true }]);
    expect(parts.volumes).toEqual([{ name: 'c', secret: { secretName: 's', items: [{ key: 'ca', path: 'ca.pem' }] } }]);
  });

  it('two item names for one file, and a mount over the root, are refused', () => {
    expect(errorOf(() => ModuleOutputs.of('m', { mountSecret: { c: { secret: 's', path: '/c', items: { a: { field: 'k1' }, './a': { field: 'k2' } } } } })).message)
      .toBe('module "m": /mount_secret/c/items: two items write the file "a": give each its own file name');
    expect(errorOf(() => ModuleOutputs.of('m', { mountVolume: { v: { emptyDir: {}, path: '/.' } } })).message)
      .toBe('module "m": /mount_volume/v/path: mounts over the root of the container\'s file system: give a directory');
  });

  it('applyToPodSpec: a container\'s own /data/ is the module\'s /data', () => {
    const parts = ModuleOutputs.of('m', { mountVolume: { d: { emptyDir: {}, path: '/data' } } }).toPodSpecParts();
    const pod = { containers: [{ name: 'app', volumeMounts: [{ name: 'own', mountPath: '/data/' }] }], volumes: [{ name: 'own', emptyDir: {} }] };
    expect(errorOf(() => applyToPodSpec(pod, parts)).message).toBe('applyToPodSpec: containers.app.volumeMounts: container "app" already mounts "/data", which a module mounts too');
  });
});

describe('what the API server refuses is refused first', () => {
  it.each([
    ['a key "."', { env_from_secret: { A: { secret: 's', field: '.' } } }, '/env_from_secret/A/field', /"\." is not a valid ConfigMap\/Secret key \(must not be '\.' or start with '\.\.'\)/],
    ['a key "..data"', { mount_secret: { c: { secret: 's', path: '/c', items: { f: { field: '..data' } } } } }, '/mount_secret/c/items/f/field', /"\.\.data" is not a valid ConfigMap\/Secret key/],
    ['an item file "..data"', { mount_secret: { c: { secret: 's', path: '/c', items: { '..data': { field: 'k' } } } } }, '/mount_secret/c/items/..data', /must not start with '\.\.'/],
    ['an item file "."', { mount_configmap: { c: { configmap: 's', path: '/c', items: { '.': { field: 'k' } } } } }, '/mount_configmap/c/items/.', /names the volume's own directory/],
    ['an env name "."', { env: { '.': 'x' } }, '/env/.', /"\." is not a valid environment variable name \(must not be '\.' or start with '\.\.'/],
    ['an env name "..x"', { env_from_configmap: { '..x': { configmap: 'c', field: 'f' } } }, '/env_from_configmap/..x', /is not a valid environment variable name/],
  ])('%s', (_what, outputs, field, reason) => {
    const e = errorOf(() => ModuleOutputs.fromObject('m', outputs));
    expect([e.source, e.field]).toEqual(['module "m"', field]);
    expect(e.reason).toMatch(reason);
  });
});

describe('no value is lost or changed', () => {
  it('an env named __proto__ is kept, in the literals and in the env ConfigMap', () => {
    const m = ModuleOutputs.fromObject('tf', JSON.parse('{"env":{"__proto__":"kept","A":"a"}}'));
    expect(Object.keys(m.literalEnv())).toEqual(['A', '__proto__']);
    expect(m.toPodSpecParts().env).toContainEqual({ name: '__proto__', value: 'kept' });
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    new ControlPlane(c, 'cp', { conf: [m], moduleEnv: ModuleEnv.CONFIG_MAP });
    const cm = Testing.synth(c).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'control-plane-control-plane-env');
    expect(Object.getOwnPropertyDescriptor(cm.data, '__proto__')?.value).toBe('kept');
  });

  it('a Map, a Set or a class instance is refused instead of read as empty', () => {
    expect(errorOf(() => ModuleOutputs.of('m', { env: new Map([['A', 'x']]) as never })).message).toBe('module "m": /env: must be JSON data (an object, a list, a string, a number or a boolean), not a Map');
    expect(errorOf(() => ModuleOutputs.fromObject('m', { env_secret: new Set(['s']) })).field).toBe('/env_secret');
    expect(errorOf(() => ModuleOutputs.fromObject('m', { env: { D: new Date(0) } })).field).toBe('/env/D');
  });

  it('Terraform numbers are kept exactly, or refused', () => {
    expect(ModuleOutputs.fromObject('m', { env: { A: 42, B: 0.5, C: -7, D: true } }).literalEnv()).toEqual({ A: '42', B: '0.5', C: '-7', D: 'true' });
    expect(errorOf(() => ModuleOutputs.fromTerraformOutput('m', '{"env":{"value":{"N":12345678901234567890}}}')).message)
      .toMatch(/^module "m": \/env\/N: number 12345678901234567000 cannot be kept exactly .* write it as a string/);
    expect(errorOf(() => ModuleOutputs.fromObject('m', { env: { N: 1e21 } })).field).toBe('/env/N');
    expect(errorOf(() => ModuleOutputs.fromObject('m', { env: { N: 1.5e-7 } })).field).toBe('/env/N');
  });

  it('entries cannot be changed after construction', () => {
    const m = ModuleOutputs.of('m', { env: { A: 'a' }, mountSecret: { c: { secret: 's', path: '/c', items: { f: { field: 'k' } } } } });
    expect(() => (m.envEntries as unknown[]).push({ name: 'B' })).toThrow(TypeError);
    expect(() => { (m.mounts[0] as { mountPath: string }).mountPath = '/x'; }).toThrow(TypeError);
    expect(Object.isFrozen((m.mounts[0].source as unknown as { items: unknown[] }).items)).toBe(true);
    expect(m.toPodSpecParts().volumeMounts[0].mountPath).toBe('/c');
    // What callers get from toPodSpecParts stays theirs to change.
    const parts = m.toPodSpecParts();
    parts.env.push({ name: 'B', value: 'b' });
    expect(m.toPodSpecParts().env).toHaveLength(1);
  });
});

describe('secrets stay out of manifests', () => {
  it('a URL with credentials in env is refused, saying where it belongs', () => {
    const e = errorOf(() => ModuleOutputs.of('s3', { env: { S3__EndpointUrl: 'https://user:pass@s3.example.com' } }));
    expect(e.message).toBe('module "s3": /env/S3__EndpointUrl: "https://***@s3.example.com" carries credentials, which would be written in plain text into manifests; put them in a Secret published through env_from_secret or env_secret');
    expect(e.message).not.toContain('pass');
    expect(ModuleOutputs.of('s3', { env: { Url: 'https://s3.example.com/path?x=a@b' } }).literalEnv().Url).toBe('https://s3.example.com/path?x=a@b');
  });

  it('a sensitive flag that is not a boolean is refused, not read as "not sensitive"', () => {
    const doc = { env: { value: { PASSWORD: 'x' }, type: ['map', 'string'], sensitive: 'true' } };
    expect(errorOf(() => ModuleOutputs.fromTerraformOutput('db', doc)).message).toBe('module "db": /env/sensitive: must be true or false, not string "true"');
  });
});

describe('no crash: every entry point names what is wrong', () => {
  const parts = ModuleOutputs.of('m', { env: { A: 'a' } }).toPodSpecParts();

  it.each([
    ['merge(null)', () => ModuleOutputs.merge(null as never), 'ModuleOutputs.merge: modules: must be a list of modules, not null'],
    ['merge(list, null)', () => ModuleOutputs.merge([ModuleOutputs.empty()], null as never), 'ModuleOutputs.merge: options: must be an object ({ onConflict }), not null'],
    ['merge([null])', () => ModuleOutputs.merge([null as never]), 'module "modules[0]": /: is neither ModuleOutputs nor a module with `outputs`'],
    ['applyToPodSpec({}, parts)', () => applyToPodSpec({} as never, parts), 'applyToPodSpec: podSpec: must be a PodSpec with a list of containers, not an object without containers'],
    ['applyToPodSpec(pod, null)', () => applyToPodSpec({ containers: [{ name: 'a' }] }, null as never), 'applyToPodSpec: parts: must be what ModuleOutputs.toPodSpecParts() returns, not null'],
    ['applyToPodSpec(pod, {})', () => applyToPodSpec({ containers: [{ name: 'a' }] }, {} as never), 'applyToPodSpec: parts.env: must be a list (what ModuleOutputs.toPodSpecParts() returns), not undefined'],
    ['a bigint env value', () => ModuleOutputs.of('m', { env: { A: 12n as never } }), 'module "m": /env/A: must be JSON data (an object, a list, a string, a number or a boolean), not a bigint 12n'],
    ['NaN', () => ModuleOutputs.fromObject('m', { env: { A: NaN } }), 'module "m": /env/A: must be a finite number, not NaN'],
    ['undefined outputs', () => ModuleOutputs.fromObject('m', undefined), 'module "m": /: module outputs must be an object, not undefined'],
    ['a null hole in a list of names', () => ModuleOutputs.fromObject('m', { env_configmap: ['a', null] }), 'module "m": /env_configmap/1: must be a string, not null'],
    ['a module name that is not a string', () => ModuleOutputs.of(undefined as never, {}), 'module "undefined": /: a module needs a non-empty name (it is used in every error message)'],
  ])('%s', (_what, f, message) => {
    expect(errorOf(f).message).toBe(message);
  });

  it('5,000-deep input is refused without recursion', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    expect(errorOf(() => ModuleOutputs.fromObject('m', { env: { A: deep } })).message).toMatch(/is nested deeper than 32 levels/);
    let list: unknown = [];
    for (let i = 0; i < 5000; i++) list = [list];
    expect(errorOf(() => ModuleOutputs.fromObject('m', list)).message).toMatch(/is nested deeper than 32 levels/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(errorOf(() => ModuleOutputs.fromObject('m', { env: cycle })).message).toMatch(/\/env\/self: refers to itself/);
    // One object used by two fields is not a cycle.
    const item = { field: 'ca.pem' };
    const m = ModuleOutputs.fromObject('m', { mount_secret: { a: { secret: 'ca', path: '/a', items: { 'ca.pem': item, 'ca.crt': item } } } });
    expect((m.mounts[0].source as unknown as { items: unknown[] }).items).toHaveLength(2);
    const shared = { A: 'x' };
    expect(ModuleOutputs.merge([ModuleOutputs.fromObject('m1', { env: shared }), ModuleOutputs.fromObject('m2', { env: shared })]).literalEnv()).toEqual({ A: 'x' });
  });

  it('conf that is not a list of modules names the component and the prop', () => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    expect(errorOf(() => new ControlPlane(c, 'cp', { conf: 'abc' as never })).message).toBe('ControlPlane test/cp: conf: must be a list of modules, not string "abc"');
    expect(errorOf(() => new ControlPlane(c, 'cp2', { conf: [{}] as never })).message).toBe('ControlPlane test/cp2: conf[0]: must be a module (a construct with outputs) or ModuleOutputs, not an object');
  });
});

describe('messages are short and say what the value is', () => {
  it('a 1 MB bad value is quoted once, truncated', () => {
    const huge = 'x '.repeat(512 * 1024);
    const e = errorOf(() => ModuleOutputs.fromObject('m', { env_secret: [huge] }));
    expect(e.message.length).toBeLessThan(400);
    expect(e.message).toContain('(1048576 characters)');
  });

  it('a byte-order mark is named, with the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-'));
    const file = join(dir, 'outputs.json');
    writeFileSync(file, '\uFEFF{"env":{"value":{"A":"a"}}}');
    const c = new Chart(Testing.app(), 'test');
    expect(errorOf(() => TerraformModule.fromFile(c, 'mq', file)).message).toBe(`module "mq": /: starts with a byte-order mark (U+FEFF), which JSON does not allow; save it as UTF-8 without BOM (the output of \`terraform output -json\` in ${file})`);
    writeFileSync(file, '{"env": ');
    expect(errorOf(() => TerraformModule.fromFile(c, 'mq2', file)).message).toMatch(new RegExp(`^module "mq2": /: not valid JSON \\(the output of \`terraform output -json\` in ${file.replace(/[.]/g, '\\.')}\\): `));
    expect(errorOf(() => TerraformModule.fromFile(c, 'mq3', join(dir, 'missing.json'))).message).toMatch(/^TerraformModule test\/mq3: path: cannot read .*missing\.json/);
  });
});
