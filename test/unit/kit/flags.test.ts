import { FlagError, formatDuration, parseDuration, parseFlags, type FlagSpec } from '../../../runtime/kit/flags.js';

const specs: FlagSpec[] = [
  { name: 'name', type: 'string', required: true, description: '' },
  { name: 'interval', type: 'duration', default: '180s', description: '' },
  { name: 'elect', type: 'bool', default: 'true', description: '' },
  { name: 'port', type: 'int', default: '8080', description: '' },
  { name: 'ns', type: 'string', env: 'NAMESPACE', description: '' },
];

describe('parseDuration (Go syntax)', () => {
  it.each([
    ['180s', 180_000],
    ['2m10s', 130_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['0', 0],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '10', 's', '10x', '5s junk'])('rejects %j', (t) => expect(() => parseDuration(t)).toThrow(/not a duration/));
  it('formats like Go', () => {
    expect(formatDuration(180_000)).toBe('3m0s');
    expect(formatDuration(250)).toBe('250ms');
  });
});

describe('parseFlags', () => {
  it('accepts --f v, --f=v, -f v and bool forms', () => {
    const p = parseFlags(specs, ['--name', 'agg', '-interval=30s', '--elect=false', '-port', '9090', 'pos'], {});
    expect(p.values).toEqual({ name: 'agg', interval: 30_000, elect: false, port: 9090, ns: undefined });
    expect(p.positional).toEqual(['pos']);
    expect(parseFlags(specs, ['--name=a', '--elect'], {}).values.elect).toBe(true);
  });
  it('falls back to env, then default', () => {
    const p = parseFlags(specs, ['--name=a'], { NAMESPACE: 'team' });
    expect(p.values.ns).toBe('team');
    expect(p.values.interval).toBe(180_000);
  });
  it('flags win over env', () => {
    expect(parseFlags(specs, ['--name=a', '--ns=x'], { NAMESPACE: 'team' }).values.ns).toBe('x');
  });
  it('errors name the flag', () => {
    expect(() => parseFlags(specs, [], {})).toThrow(new FlagError('name', 'is required'));
    expect(() => parseFlags(specs, ['--name=a', '--interval=soon'], {})).toThrow(/--interval: "soon" is not a duration/);
    expect(() => parseFlags(specs, ['--name=a', '--bogus'], {})).toThrow(/--bogus: unknown flag/);
    expect(() => parseFlags(specs, ['--name=a', '--port=x'], {})).toThrow(/--port: "x" is not an integer/);
    expect(() => parseFlags(specs, ['--name'], {})).toThrow(/--name: needs a value/);
  });
  it('--help skips required checks', () => {
    expect(parseFlags(specs, ['--help'], {}).help).toBe(true);
  });
});
