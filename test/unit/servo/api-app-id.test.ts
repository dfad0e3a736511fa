/**
 * The app id path (lib/api/servo/app-id.ts): the original's `qry()` of servo-k8s-multijob, as
 * `OPTUNE_APP_ID` configures it; parsed once, then followed in pods without ever throwing.
 */
import fc from 'fast-check';
import { appIdOf, parseAppIdPath, valueAtAppIdPath, type AppIdPath } from '../../../lib/api/servo/app-id.js';
import { DEFAULT_APP_ID_PATH } from '../../../lib/api/servo/names.js';

const SEED = 6902;

function path(text: string): AppIdPath {
  const p = parseAppIdPath(text);
  if (typeof p === 'string') throw new Error(`${text}: ${p}`);
  return p;
}

const pod = (env: unknown, more: Record<string, unknown> = {}) => ({
  metadata: { name: 'p', namespace: 'default', labels: { 'app-id': 'from-label' } },
  spec: { containers: [{ name: 'main', env }, { name: 'side', env: [{ name: 'JOBID', value: 'side-job' }] }], ...more },
});

describe('parseAppIdPath', () => {
  it('the default path: four fields and a {name,value} lookup of JOBID, in the first container', () => {
    expect(path(DEFAULT_APP_ID_PATH)).toEqual({
      text: 'spec/containers/0/env/[JOBID]',
      steps: [
        { kind: 'field', name: 'spec' },
        { kind: 'field', name: 'containers' },
        { kind: 'field', name: '0' },
        { kind: 'field', name: 'env' },
        { kind: 'lookup', key: 'JOBID', keyField: 'name', valueField: 'value' },
      ],
      containerIndex: 0,
    });
  });

  it('[K,keyField,valueField] names the fields of the lookup', () => {
    expect(path('spec/containers/0/ports/[http,name,containerPort]').steps[4]).toEqual({ kind: 'lookup', key: 'http', keyField: 'name', valueField: 'containerPort' });
  });

  it('empty elements are skipped, as in the original: a leading, trailing or doubled / changes nothing', () => {
    const steps = path(DEFAULT_APP_ID_PATH).steps;
    for (const text of ['/spec/containers/0/env/[JOBID]', 'spec//containers/0/env/[JOBID]/', '//spec/containers/0//env/[JOBID]']) {
      expect([text, path(text).steps]).toEqual([text, steps]);
    }
  });

  it('the job container: by index from spec/containers/<i>, by name from spec/containers/[name,name,...]', () => {
    expect(path('spec/containers/2/env/[JOBID]')).toMatchObject({ containerIndex: 2 });
    expect(path('spec/containers/2/env/[JOBID]').containerName).toBeUndefined();
    expect(path('/spec/containers/[worker,name,env]/[JOBID]')).toMatchObject({ containerIndex: 0, containerName: 'worker' });
    // a lookup by another key field does not name the container
    expect(path('spec/containers/[x,image,env]/[JOBID]').containerName).toBeUndefined();
    // a path outside spec/containers reads the first container
    expect(path('metadata/labels/app-id')).toMatchObject({ containerIndex: 0 });
    expect(path('metadata/labels/app-id').containerName).toBeUndefined();
    expect(path('spec/initContainers/3/env/[JOBID]').containerIndex).toBe(0);
  });

  it.each([
    ['', /non-empty path/],
    ['   ', /non-empty path/],
    ['/', /has no element/],
    ['//', /has no element/],
    ['spec/containers/0/env/[JOBID', /opens \[ without closing it/],
    ['spec/[a,b]', /must be \[key\] or \[key,keyField,valueField\]/],
    ['spec/[a,b,c,d]', /must be \[key\] or \[key,keyField,valueField\]/],
    ['spec/[]', /has an empty part/],
    ['spec/[JOBID,,value]', /has an empty part/],
    ['spec/env[JOBID]', /mixes a name with brackets/],
    ['spec/env]', /mixes a name with brackets/],
  ])('%j is refused: %s', (text, reason) => {
    const p = parseAppIdPath(text);
    expect(typeof p).toBe('string');
    expect(p).toMatch(reason);
  });

  it('a non-string is refused, not thrown on', () => {
    expect(parseAppIdPath(undefined as unknown as string)).toMatch(/non-empty path/);
  });
});

describe('valueAtAppIdPath and appIdOf', () => {
  const def = path(DEFAULT_APP_ID_PATH);

  it('finds JOBID in the first container\'s env, whatever its position', () => {
    expect(appIdOf(pod([{ name: 'A', value: 'a' }, { name: 'JOBID', value: 'job-7' }]), def)).toBe('job-7');
  });

  it('the first matching entry wins (the original\'s getenv)', () => {
    expect(appIdOf(pod([{ name: 'JOBID', value: 'first' }, { name: 'JOBID', value: 'second' }]), def)).toBe('first');
  });

  it('an entry without the key field is skipped (the original gave up on the whole pod)', () => {
    expect(appIdOf(pod([{ value: 'x' }, null, 'junk', { name: 'JOBID', value: 'job-8' }]), def)).toBe('job-8');
  });

  it('other containers, labels and custom lookup fields by path', () => {
    expect(appIdOf(pod([]), path('spec/containers/1/env/[JOBID]'))).toBe('side-job');
    expect(appIdOf(pod([]), path('metadata/labels/app-id'))).toBe('from-label');
    expect(appIdOf(pod([]), path('spec/containers/[side,name,env]/[JOBID]'))).toBe('side-job');
    expect(appIdOf(pod([{ key: 'JOBID', val: 'custom' }]), path('spec/containers/0/env/[JOBID,key,val]'))).toBe('custom');
  });

  it('a non-empty string only is an app id: empty, numbers, objects and missing values are not', () => {
    for (const value of ['', 5, true, null, { a: 1 }, ['x']]) {
      expect([value, appIdOf(pod([{ name: 'JOBID', value }]), def)]).toEqual([value, undefined]);
    }
    expect(appIdOf(pod([{ name: 'JOBID' }]), def)).toBeUndefined();
    expect(appIdOf(pod([{ name: 'OTHER', value: 'x' }]), def)).toBeUndefined();
    expect(appIdOf(pod(undefined), def)).toBeUndefined();
  });

  it('valueAtAppIdPath returns any value, appIdOf only strings', () => {
    expect(valueAtAppIdPath(pod([{ name: 'JOBID', value: 42 }]), def)).toBe(42);
    expect(valueAtAppIdPath(pod([]), path('spec/containers/0'))).toEqual({ name: 'main', env: [] });
  });

  it('an index on a map is a key, a name on an array is nothing; out of range is nothing', () => {
    const containersAsMap = { spec: { containers: { 0: { env: [{ name: 'JOBID', value: 'keyed' }] } } } };
    expect(appIdOf(containersAsMap, def)).toBe('keyed');
    expect(valueAtAppIdPath(pod([]), path('spec/containers/length'))).toBeUndefined();
    expect(valueAtAppIdPath(pod([]), path('spec/containers/9/env/[JOBID]'))).toBeUndefined();
    // a lookup needs an array
    expect(valueAtAppIdPath({ spec: { containers: [{ env: { name: 'JOBID', value: 'x' } }] } }, def)).toBeUndefined();
  });

  it('inherited properties are not fields: constructor, toString and __proto__ resolve to nothing', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect([name, valueAtAppIdPath({ a: {} }, path(`a/${name}`))]).toEqual([name, undefined]);
    }
  });

  // Regression: the lookup step reads `hit[valueField]` without an own-property check (the field step has one),
  // so a lookup entry lacking the value field yields Object.prototype members (here the Object constructor).
  it('a lookup entry without the value field resolves to nothing, not to an inherited member', () => {
    expect(valueAtAppIdPath({ env: [{ name: 'JOBID' }] }, path('env/[JOBID,name,constructor]'))).toBeUndefined();
  });

  it('never throws, whatever the object (property)', () => {
    const paths = [def, path('spec/containers/[main,name,env]/[JOBID]'), path('a/0/[k,x,y]/b'), path('metadata/labels/app-id')];
    fc.assert(
      fc.property(fc.anything({ maxDepth: 5, withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }), (obj) => {
        for (const p of paths) {
          const id = appIdOf(obj, p);
          expect(id === undefined || (typeof id === 'string' && id !== '')).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('finds what was put at the path (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(name, fc.string({ minLength: 1 }), fc.array(fc.record({ name, value: fc.string() }), { maxLength: 4 }), fc.nat({ max: 3 }), (key, value, others, index) => {
        const env = others.filter((e) => e.name !== key);
        const at = Math.min(index, env.length);
        env.splice(at, 0, { name: key, value });
        const containers = Array.from({ length: index + 1 }, (_, i) => ({ name: `c${i}`, env: i === index ? env : [] }));
        expect(appIdOf({ spec: { containers } }, path(`spec/containers/${index}/env/[${key}]`))).toBe(value);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
