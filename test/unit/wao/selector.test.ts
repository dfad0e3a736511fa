/** NodeConfigTemplate's nodeSelector: Kubernetes' matching semantics and checks naming the field. */
import { checkLabelSelector, labelSelectorProblems, labelSelectorString, matchesLabelSelector } from '../../../lib/api/wao/index.js';
import { refused } from '../../fixtures/validation.js';

const labels = { 'node.kubernetes.io/instance-type': 'redfish-enabled', zone: 'a', gpu: '' };

describe('matchesLabelSelector', () => {
  it.each([
    ['{} selects every node', {}, true],
    ['matchLabels equal', { matchLabels: { 'node.kubernetes.io/instance-type': 'redfish-enabled' } }, true],
    ['matchLabels differ', { matchLabels: { zone: 'b' } }, false],
    ['matchLabels missing key', { matchLabels: { rack: '1' } }, false],
    ['an empty label value matches ""', { matchLabels: { gpu: '' } }, true],
    ['In', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, true],
    ['In, other value', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }, false],
    ['In, missing key', { matchExpressions: [{ key: 'rack', operator: 'In', values: ['1'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, false],
    ['NotIn, missing key matches', { matchExpressions: [{ key: 'rack', operator: 'NotIn', values: ['1'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, true],
    ['Exists, missing', { matchExpressions: [{ key: 'rack', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'rack', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist, present', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, false],
    ['requirements are ANDed', { matchLabels: { zone: 'a' }, matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, false],
  ] as const)('%s', (_, selector, want) => expect(matchesLabelSelector(selector as any, labels)).toBe(want));

  it('no selector selects nothing; a node without labels', () => {
    expect(matchesLabelSelector(undefined, labels)).toBe(false);
    expect(matchesLabelSelector({}, undefined)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { zone: 'a' } }, undefined)).toBe(false);
    // Prototype keys are not labels.
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, {})).toBe(false);
  });
});

describe('checks', () => {
  it('a valid selector passes and is returned', () => {
    const s = { matchLabels: { 'example.com/a': 'b' }, matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['a'] }] };
    expect(checkLabelSelector('t', '/spec/nodeSelector', s)).toBe(s);
    expect(labelSelectorProblems({})).toEqual([]);
  });

  it.each([
    ['not an object', [], '/spec/nodeSelector', /must be a label selector/],
    ['an unknown field', { matchLabel: {} }, '/spec/nodeSelector/matchLabel', /not a field of a label selector/],
    ['a bad key', { matchLabels: { '-x': 'a' } }, '/spec/nodeSelector/matchLabels/-x', /not a valid label key/],
    ['a key with a slash, escaped', { matchLabels: { 'a/b/c': 'a' } }, '/spec/nodeSelector/matchLabels/a~1b~1c', /not a valid label key/],
    ['a bad value', { matchLabels: { a: 'b c' } }, '/spec/nodeSelector/matchLabels/a', /not a valid label value/],
    ['a value that is not a string', { matchLabels: { a: 1 } }, '/spec/nodeSelector/matchLabels/a', /number 1 is not a valid label value/],
    ['an unknown operator', { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, '/spec/nodeSelector/matchExpressions/0/operator', /must be one of In, NotIn, Exists, DoesNotExist/],
    ['In without values', { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, '/spec/nodeSelector/matchExpressions/0/values', 'must not be empty when operator is In'],
    ['Exists with values', { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, '/spec/nodeSelector/matchExpressions/0/values', 'must be empty when operator is Exists'],
    ['a bad value in a list', { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['ok', '%'] }] }, '/spec/nodeSelector/matchExpressions/0/values/1', /not a valid label value/],
    ['a bad key in an expression', { matchExpressions: [{ key: '', operator: 'Exists' }] }, '/spec/nodeSelector/matchExpressions/0/key', /not a valid label key/],
  ])('refuses %s', (_, selector, field, reason) => {
    refused(() => checkLabelSelector('NodeConfigTemplate wao-system/t', '/spec/nodeSelector', selector), 'NodeConfigTemplate wao-system/t', field, reason);
  });

  it('counts further problems', () => {
    const e = refused(() => checkLabelSelector('t', '', { matchLabels: { '-a': 'x', '-b': 'y' } }), 't', '/matchLabels/-a');
    expect(e.reason).toMatch(/\(and 1 more\)$/);
  });
});

it('labelSelectorString renders the query form, sorted', () => {
  expect(
    labelSelectorString({
      matchLabels: { z: '1', a: '2' },
      matchExpressions: [
        { key: 'k', operator: 'In', values: ['y', 'x'] },
        { key: 'n', operator: 'NotIn', values: ['v'] },
        { key: 'e', operator: 'Exists' },
        { key: 'd', operator: 'DoesNotExist' },
      ],
    }),
  ).toBe('a=2,z=1,k in (x,y),n notin (v),e,!d');
  expect(labelSelectorString({})).toBe('');
});
