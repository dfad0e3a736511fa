#!/usr/bin/env node
/**
 * `platform-controllers <controller> [flags]`: the entry point of the controllers image.
 * A controller is one line in CONTROLLERS.
 */
import { fileURLToPath } from 'node:url';
import { FlagError, flagsUsage, parseFlags, type FlagSpec, type FlagValues } from './kit/index.js';
import { configAggregatorCommand } from './config-aggregator/index.js';
import { secretGeneratorCommand } from './secret-generator/index.js';

export interface ControllerCommand {
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  run(flags: FlagValues): Promise<void>;
}

export const CONTROLLERS: Record<string, ControllerCommand> = {
  'config-aggregator': configAggregatorCommand,
  'secret-generator': secretGeneratorCommand,
};

export function usage(): string {
  const list = Object.entries(CONTROLLERS)
    .map(([name, c]) => `  ${name.padEnd(20)} ${c.description}`)
    .join('\n');
  return `Usage: platform-controllers <controller> [flags]\n\nControllers:\n${list}\n\nRun 'platform-controllers <controller> --help' for its flags.\n`;
}

/** Returns the exit code. */
export async function main(argv: readonly string[], env = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
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
  await command.run(parsed.values);
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
