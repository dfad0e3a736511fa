/**
 * `npm version` runs this (the `version` script): writes package.json's version into
 * lib/k8s/version.ts, the constant the constructs read (no package.json read at load time, so
 * the compiled package behaves the same from CommonJS and ESM).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const file = join(root, 'lib', 'k8s', 'version.ts');
const text = readFileSync(file, 'utf8');
const next = text.replace(/export const PACKAGE_VERSION = '[^']*';/, `export const PACKAGE_VERSION = '${version}';`);
if (next === text && !text.includes(`'${version}'`)) throw new Error(`sync-version: no PACKAGE_VERSION constant in ${file}`);
writeFileSync(file, next);
process.stdout.write(`sync-version: PACKAGE_VERSION = '${version}'\n`);
