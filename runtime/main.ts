#!/usr/bin/env node
/**
 * The entry point of the controllers image:
 *
 *   platform-controllers <controller> [flags]
 *   platform-controllers run [process flags] <controller> [its flags] [<controller> [its flags]]...
 *   platform-controllers <tool> [flags]
 *
 * A controller is one line in CONTROLLERS. A tool (TOOLS) is a plain command: no manager, no
 * leader election.
 */
import { fileURLToPath } from 'node:url';
import {
  ELECTION_FLAG_NAMES,
  FlagError,
  MANAGER_FLAGS,
  PROCESS_FLAGS,
  PROCESS_FLAG_NAMES,
  flagsUsage,
  parseFlags,
  runControllers,
  selectFlags,
  type ControllerCommand,
  type FlagSpec,
  type FlagValues,
  type HostedController,
} from './kit/index.js';
import { SERVO_MONITOR_COMMAND } from '../lib/api/servo/names.js';
import { configAggregatorCommand } from './config-aggregator/index.js';
import { konsumeratorCommand } from './konsumerator/index.js';
import { secretGeneratorCommand } from './secret-generator/index.js';
import { servoCommand } from './servo/index.js';
import { SERVO_MONITOR_DESCRIPTION, servoMonitorMain } from './servo/monitor/monitor.js';
import { waoCommand } from './wao/index.js';

export type { ControllerCommand };

export const CONTROLLERS: Record<string, ControllerCommand> = {
  'config-aggregator': configAggregatorCommand,
  konsumerator: konsumeratorCommand,
  'secret-generator': secretGeneratorCommand,
  servo: servoCommand,
  wao: waoCommand,
};

/** Commands that are not controllers: each takes its arguments and returns the exit code. */
export const TOOLS: Record<string, { readonly description: string; readonly main: (argv: readonly string[]) => Promise<number> }> = {
  [SERVO_MONITOR_COMMAND]: { description: SERVO_MONITOR_DESCRIPTION, main: servoMonitorMain },
};

const ELECTION_FLAGS = MANAGER_FLAGS.filter((f) => (ELECTION_FLAG_NAMES as readonly string[]).includes(f.name));

export function usage(): string {
  const list = (commands: Record<string, { readonly description: string }>) =>
    Object.entries(commands)
      .map(([name, c]) => `  ${name.padEnd(20)} ${c.description}`)
      .join('\n');
  return (
    `Usage: platform-controllers <controller> [flags]\n` +
    `       platform-controllers run [process flags] <controller> [flags] [<controller> [flags]]...\n` +
    `       platform-controllers <tool> [flags]\n\n` +
    `Controllers:\n${list(CONTROLLERS)}\n\n` +
    `Tools:\n${list(TOOLS)}\n\n` +
    `Run 'platform-controllers <controller> --help' for its flags, 'platform-controllers run --help' for several controllers in one process.\n`
  );
}

/** A controller's flags in `run`: its own and its leader election, without the process flags. */
export function runFlagsOf(command: ControllerCommand): FlagSpec[] {
  return command.flags.filter((f) => !(PROCESS_FLAG_NAMES as readonly string[]).includes(f.name));
}

export function runUsage(): string {
  const sections = Object.entries(CONTROLLERS)
    .map(([name, c]) => `  ${name}\n${flagsUsage(runFlagsOf(c)).replace(/^/gm, '  ')}`)
    .join('\n\n');
  return (
    `Usage: platform-controllers run [process flags] <controller> [flags] [<controller> [flags]]...\n\n` +
    `Runs several controllers in one process: one Node runtime, one API connection pool, one shared\n` +
    `informer cache (a resource watched by two controllers with the same selectors is watched once),\n` +
    `one /healthz, /readyz and /metrics port. Each controller keeps its own flags and its own leader\n` +
    `election: its own Lease (--leader-election-id, default the controller name) and timing, so each\n` +
    `one's leader may be a different replica. A controller's flags follow its name.\n\n` +
    `Example:\n  platform-controllers run --namespace=platform --metrics-port=8080 \\\n` +
    `    config-aggregator --configmap-name=numalogic-config --lease-duration=30s \\\n` +
    `    secret-generator --namespaces=team-a,team-b\n\n` +
    `Process flags (once, before the first controller):\n${flagsUsage(PROCESS_FLAGS)}\n\n` +
    `Controller flags (after the controller's name; leader election flags are per controller):\n\n${sections}\n`
  );
}

interface Section {
  readonly name?: string;
  readonly args: string[];
}

/** Splits `run`'s arguments at controller names (a value of a flag is never taken for a name). */
function splitRunArgs(argv: readonly string[]): Section[] {
  const sections: Section[] = [{ args: [] }];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    const section = sections[sections.length - 1];
    if (tok.startsWith('-') && tok !== '-' && tok !== '--') {
      section.args.push(tok);
      const body = tok.replace(/^--?/, '');
      const specs: readonly FlagSpec[] = section.name ? runFlagsOf(CONTROLLERS[section.name]) : PROCESS_FLAGS;
      const spec = specs.find((s) => s.name === body);
      if (!body.includes('=') && spec && spec.type !== 'bool' && i + 1 < argv.length) section.args.push(argv[++i]);
      continue;
    }
    if (!CONTROLLERS[tok]) throw new FlagError(tok, `unexpected argument "${tok}": not a controller (${Object.keys(CONTROLLERS).join(', ')})`);
    if (sections.some((s) => s.name === tok)) throw new FlagError(tok, `controller "${tok}" given twice`);
    sections.push({ name: tok, args: [] });
  }
  return sections;
}

/** `run`'s arguments parsed: the process flags once, then each controller's own values (process flags merged in). */
export interface RunArgs {
  readonly help: boolean;
  readonly process: FlagValues;
  readonly controllers: ReadonlyArray<{ readonly name: string; readonly values: FlagValues }>;
}

/** Parses `run`'s arguments; a FlagError names the controller whose flag is wrong. */
export function parseRunArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): RunArgs {
  const [head, ...sections] = splitRunArgs(argv);
  const help = head.args.some((a) => a === '--help' || a === '-h') || sections.some((c) => c.args.includes('--help') || c.args.includes('-h'));
  if (help) return { help, process: {}, controllers: [] };
  const proc = parseFlags(PROCESS_FLAGS, head.args, env);
  if (!sections.length) throw new FlagError('run', 'names no controller');
  const controllers = sections.map((c) => {
    try {
      return { name: c.name!, values: { ...proc.values, ...parseFlags(runFlagsOf(CONTROLLERS[c.name!]), c.args, {}).values } };
    } catch (err) {
      if (err instanceof FlagError) throw new FlagError(err.flag, `${c.name}: ${err.message.replace(/^--\S+: /, '')}`);
      throw err;
    }
  });
  return { help, process: proc.values, controllers };
}

async function runSeveral(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  let args: RunArgs;
  try {
    args = parseRunArgs(argv, env);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`run: ${err.message}\n\nRun 'platform-controllers run --help' for the flags.\n`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    process.stdout.write(runUsage());
    return 0;
  }
  const hosted: HostedController[] = args.controllers.map(({ name, values }) => ({
    name,
    flags: selectFlags(ELECTION_FLAGS, values),
    setup: (ctx) => CONTROLLERS[name].setup(ctx, values),
  }));
  await runControllers('platform-controllers', selectFlags(PROCESS_FLAGS, args.process), hosted);
  return 0;
}

/** Returns the exit code. */
export async function main(argv: readonly string[], env = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === 'run') return runSeveral(rest, env);
  if (Object.hasOwn(TOOLS, name)) return TOOLS[name].main(rest);
  const command = CONTROLLERS[name];
  if (!command) {
    process.stderr.write(`unknown controller "${name}"\n\n${usage()}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseFlags(command.flags, rest, env);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`${name}: ${err.message}\n\nFlags:\n${flagsUsage(command.flags)}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(`Usage: platform-controllers ${name} [flags]\n\n${command.description}\n\nFlags:\n${flagsUsage(command.flags)}\n`);
    return 0;
  }
  const values = parsed.values;
  await runControllers(name, selectFlags(PROCESS_FLAGS, values), [
    { name, flags: selectFlags(ELECTION_FLAGS, values), setup: (ctx) => command.setup(ctx, values) },
  ]);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: String(err?.stack ?? err) })}\n`);
      process.exit(1);
    },
  );
}
