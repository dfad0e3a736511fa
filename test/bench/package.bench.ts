/**
 * What loading the published package costs a user's synth: `require()` / `import()` of the
 * compiled entries in a fresh project (the packed tarball installed from the file), against what
 * such a project loads anyway in the same module system (cdk8s + cdk8s-plus-28; cdktf, as the
 * `tf` entry declares its providers and resources through the core library alone); the TypeScript sources through tsx, as this repository's
 * examples run, are compared with the same ES module baseline. Fresh process per run, rotating
 * order, medians.
 *
 *   npm run bench -- package
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, printTable, ratio, rotateRuns, type RunResult } from './support.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

/** A load to measure: the module loads inside `measure`, in a CommonJS or ES module script. */
const PATHS = {
  'cdk8s + cdk8s-plus-28 (baseline)': { esm: false, code: "require('constructs'); require('cdk8s'); require('cdk8s-plus-28');" },
  'cdk8s + cdk8s-plus-28, import() (baseline)': { esm: true, code: "await import('constructs'); await import('cdk8s'); await import('cdk8s-plus-28');" },
  'platform-constructs, require()': { esm: false, code: "require('platform-constructs');" },
  'platform-constructs, import()': { esm: true, code: "await import('platform-constructs');" },
  'sources through tsx (index.ts)': { esm: true, tsx: true, code: `await import(${JSON.stringify(join(REPO, 'index.ts'))});` },
  'cdktf (baseline)': { esm: false, code: "require('cdktf');" },
  'platform-constructs/tf, require()': { esm: false, code: "require('platform-constructs/tf');" },
} as const;
type PathName = keyof typeof PATHS;

function script(dir: string, name: PathName): string {
  const p = PATHS[name];
  const body = `const t0 = process.hrtime.bigint();\n${p.code}\nconst ms = Number(process.hrtime.bigint() - t0) / 1e6;\n` +
    `console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, bytes: 0, hash: '' }));\n`;
  const file = join(dir, `${Object.keys(PATHS).indexOf(name)}.${p.esm ? 'mjs' : 'cjs'}`);
  writeFileSync(file, p.esm ? body : `(async () => {\n${body}})();\n`);
  return file;
}

function runLoad(dir: string, name: PathName): RunResult {
  const p = PATHS[name];
  const file = script(dir, name);
  const args = 'tsx' in p ? ['--import', join(REPO, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs'), file] : [file];
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as RunResult;
}

const work = mkdtempSync(join(tmpdir(), 'pc-bench-package-'));
try {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const tarball = join(work, packed[0].filename);
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'bench-consumer', version: '1.0.0', private: true }));
  const versionOf = (n: string) => JSON.parse(readFileSync(join(REPO, 'node_modules', n, 'package.json'), 'utf8')).version as string;
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball,
    ...['cdk8s', 'cdk8s-plus-28', 'constructs', 'cdktf'].map((n) => `${n}@${versionOf(n)}`)], { cwd: work, stdio: 'ignore' });

  const names = Object.keys(PATHS) as PathName[];
  for (const n of names) runLoad(work, n); // warm the file cache once
  const runs = rotateRuns(names, ROUNDS, (n) => runLoad(work, n));
  const ms = (n: PathName) => median(runs[n].map((r) => r.ms));
  const rss = (n: PathName) => median(runs[n].map((r) => r.maxRssMb));
  const base = (n: PathName): PathName =>
    n.includes('/tf') || n.startsWith('cdktf')
      ? 'cdktf (baseline)'
      : PATHS[n].esm
        ? 'cdk8s + cdk8s-plus-28, import() (baseline)'
        : 'cdk8s + cdk8s-plus-28 (baseline)';

  console.log(`packed: ${packed[0].files.length} files, ${(packed[0].size / 1024).toFixed(0)} kB; ${ROUNDS} rounds, medians; load time measured inside the process\n`);
  printTable([
    ['load', 'time', 'vs baseline', 'max RSS', 'vs baseline'],
    ...names.map((n) => [n, `${ms(n).toFixed(0)} ms`, ratio(ms(n), ms(base(n))), `${rss(n).toFixed(0)} MB`, ratio(rss(n), rss(base(n)))]),
  ]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
