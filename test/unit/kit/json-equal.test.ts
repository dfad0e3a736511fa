import { canonicalJson, sameJson } from '../../../runtime/kit/index.js';

describe('sameJson / canonicalJson', () => {
  it('ignores key order, at every depth', () => {
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameJson({ x: { p: 1, q: [{ m: 1, n: 2 }] }, y: 'z' }, { y: 'z', x: { q: [{ n: 2, m: 1 }], p: 1 } })).toBe(true);
    expect(canonicalJson({ b: { d: 1, c: 2 }, a: [{ z: 1, y: 2 }] })).toBe('{"a":[{"y":2,"z":1}],"b":{"c":2,"d":1}}');
  });

  it('sees a changed value, an extra key and a changed type', () => {
    expect(sameJson({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 1 })).toBe(false);
    expect(sameJson({ a: 1 }, { a: '1' })).toBe(false);
    expect(sameJson({ a: [] }, { a: {} })).toBe(false);
  });

  it('arrays are order-sensitive', () => {
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ l: [{ a: 1 }, { b: 2 }] }, { l: [{ b: 2 }, { a: 1 }] })).toBe(false);
    expect(sameJson([1, 2], [1, 2])).toBe(true);
  });

  it('undefined: a missing value is null at the top, an undefined property is absent, null is a value', () => {
    expect(canonicalJson(undefined)).toBe('null');
    expect(sameJson(undefined, null)).toBe(true);
    expect(sameJson(undefined, {})).toBe(false);
    // A property set to undefined is not sent as JSON: the same as absent.
    expect(sameJson({ a: undefined, b: 1 }, { b: 1 })).toBe(true);
    // null is a JSON value (a merge patch deletes with it): not the same as absent.
    expect(sameJson({ a: null, b: 1 }, { b: 1 })).toBe(false);
  });
});
