/**
 * The controllers bundle: `runtime/main.ts` and its npm dependencies in one ESM file (esbuild),
 * plus what is needed to account for it: the bundled packages (for the SBOM) and their licenses.
 * Nothing native is bundled: the dependencies are pure JavaScript (checked: the metafile has no
 * `.node` input), so the file is all the image needs besides the runtime.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareStrings } from '../../lib/k8s/sort.js';
import { MONITOR_COMMAND } from '../../lib/api/servo/names.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the image runs the bundle, and the interpreter its first line names. */
export const BUNDLE_PATH = '/app/platform-controllers.mjs';
export const NODE_PATH = '/nodejs/bin/node';
/** The servo's monitor alone (lib/api/servo MONITOR_COMMAND runs it in job pods). */
export const MONITOR_BUNDLE_PATH = MONITOR_COMMAND[1];
export const MONITOR_ENTRY = 'runtime/servo/monitor/cli.ts';

export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  /** SPDX expression from its package.json (`NOASSERTION` when it has none). */
  readonly license: string;
  /** `sha512-...` from package-lock.json. */
  readonly integrity?: string;
  readonly dependencies: readonly string[];
  /** Bytes of the bundle that come from this package. */
  readonly bytes: number;
  readonly licenseText?: string;
  /** `node_modules/...` directory, relative to the repository. */
  readonly dir: string;
}

export interface Bundle {
  readonly code: Buffer;
  readonly packages: readonly BundledPackage[];
  /** Bytes of the bundle from the project's own sources. */
  readonly projectBytes: number;
}

export interface BundleOptions {
  /** @default runtime/main.ts */
  readonly entry?: string;
  /** @default true */
  readonly minify?: boolean;
}

const PKG_DIR = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//;

export async function bundleControllers(opts: BundleOptions = {}): Promise<Bundle> {
  const { build } = await import('esbuild');
  const entry = opts.entry ?? join(REPO_ROOT, 'runtime/main.ts');
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    outfile: 'platform-controllers.mjs',
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: opts.minify ?? true,
    // Class and function names stay readable in logs and stack traces.
    keepNames: true,
    legalComments: 'none', // the licenses ship whole in THIRD_PARTY_LICENSES.txt
    metafile: true,
    // CommonJS dependencies call require() for Node's builtins: give the ESM bundle one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const out = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  if (!out) throw new Error('esbuild wrote no bundle');
  // The entry's `#!/usr/bin/env node` would need a shell utility the image does not have.
  let code = Buffer.from(out.contents).toString('utf8');
  code = code.startsWith('#!') ? code.replace(/^#![^\n]*/, `#!${NODE_PATH}`) : `#!${NODE_PATH}\n${code}`;

  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const bytesByDir = new Map<string, number>();
  let projectBytes = 0;
  for (const [input, info] of Object.entries(output?.inputs ?? {})) {
    if (input.endsWith('.node')) throw new Error(`the bundle would need a native addon: ${input}`);
    const m = PKG_DIR.exec(input);
    if (m) bytesByDir.set(m[1], (bytesByDir.get(m[1]) ?? 0) + info.bytesInOutput);
    else projectBytes += info.bytesInOutput;
  }
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; integrity?: string; license?: string }>;
  };
  const packages = [...bytesByDir].map(([dir, bytes]) => {
    const pj = JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8'));
    const license = typeof pj.license === 'string' ? pj.license : (pj.license?.type ?? 'NOASSERTION');
    return {
      name: pj.name as string,
      version: pj.version as string,
      license,
      integrity: lock.packages[dir]?.integrity,
      dependencies: Object.keys({ ...pj.dependencies, ...pj.optionalDependencies, ...pj.peerDependencies }),
      bytes,
      licenseText: licenseText(join(REPO_ROOT, dir)),
      dir,
    } satisfies BundledPackage;
  });
  const names = new Set(packages.map((p) => p.name));
  const sorted = packages
    .map((p) => ({ ...p, dependencies: p.dependencies.filter((d) => names.has(d)).sort() }))
    .sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.version, b.version));
  return { code: Buffer.from(code, 'utf8'), packages: sorted, projectBytes };
}

function licenseText(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir)
    .filter((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f))
    .sort()[0];
  return file ? readFileSync(join(dir, file), 'utf8') : undefined;
}

/** THIRD_PARTY_LICENSES.txt: every bundled package's license file, sorted by name. */
export function thirdPartyLicenses(packages: readonly BundledPackage[]): string {
  return packages
    .map((p) => `${'='.repeat(78)}\n${p.name}@${p.version} (${p.license})\n${'='.repeat(78)}\n${p.licenseText?.trim() ?? '(no license file in the package; see its package.json)'}\n`)
    .join('\n');
}

/** The monitor's bundle: no npm package (checked), so the image's SBOM and licenses cover it. */
export async function bundleMonitor(): Promise<Buffer> {
  const b = await bundleControllers({ entry: join(REPO_ROOT, MONITOR_ENTRY) });
  if (b.packages.length) throw new Error(`the monitor bundle would carry npm packages: ${b.packages.map((p) => p.name).join(', ')}`);
  return b.code;
}
