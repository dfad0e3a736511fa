/**
 * A CycloneDX 1.5 SBOM of what the image ships: the bundle's npm packages (the ones esbuild
 * actually put into it, not the whole lockfile), the Node.js runtime and the Debian packages
 * the libraries come from. Deterministic: its timestamp is the build's fixed epoch and its
 * serial number is derived from its content (`npm sbom` writes a random one and the clock).
 */
import { createHash } from 'node:crypto';
import type { BundledPackage } from './bundle.js';
import type { ImageLock } from './fetch.js';

export interface SbomInput {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  readonly revision: string;
  readonly epoch: number;
  readonly packages: readonly BundledPackage[];
  readonly lock: ImageLock;
  /** sha256 of the Node.js binary as shipped in the npm package, and as stripped in the image. */
  readonly nodeSha256: { readonly original: string; readonly stripped: string };
  /** List the lock's Debian packages (false when another base image provides the libraries). @default true */
  readonly withDebian?: boolean;
}

export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;
}

function licenses(expr: string): unknown[] {
  if (!expr || expr === 'NOASSERTION') return [];
  return /\s(AND|OR|WITH)\s|[()]/.test(expr) ? [{ expression: expr }] : [{ license: { id: expr } }];
}

function sriToHash(integrity?: string): unknown[] {
  const m = /^sha512-(.+)$/.exec(integrity ?? '');
  return m ? [{ alg: 'SHA-512', content: Buffer.from(m[1], 'base64').toString('hex') }] : [];
}

export function cycloneDx(input: SbomInput): Record<string, unknown> {
  const root = `pkg:oci/${input.name}@${input.version}`;
  const npm = input.packages.map((p) => ({
    type: 'library',
    'bom-ref': npmPurl(p.name, p.version),
    name: p.name,
    version: p.version,
    purl: npmPurl(p.name, p.version),
    licenses: licenses(p.license),
    hashes: sriToHash(p.integrity),
    properties: [{ name: 'platform-constructs:bundle-bytes', value: String(p.bytes) }],
  }));
  const node = input.lock.node;
  const runtime = {
    type: 'platform',
    'bom-ref': npmPurl(node.package, node.version),
    name: 'node',
    version: node.version,
    purl: npmPurl(node.package, node.version),
    licenses: licenses(node.license),
    hashes: [...sriToHash(node.integrity), { alg: 'SHA-256', content: input.nodeSha256.original }],
    properties: [{ name: 'platform-constructs:stripped-sha256', value: input.nodeSha256.stripped }],
  };
  const debs = (input.withDebian === false ? [] : input.lock.debian.packages).map((p) => {
    const purl = `pkg:deb/debian/${p.name}@${encodeURIComponent(p.version)}?arch=${p.arch}&distro=debian-12`;
    return {
      type: 'library',
      'bom-ref': purl,
      name: p.name,
      version: p.version,
      purl,
      licenses: licenses(p.license),
      hashes: [{ alg: 'SHA-256', content: p.sha256 }],
    };
  });
  const names = new Map(input.packages.map((p) => [p.name, npmPurl(p.name, p.version)]));
  const direct = input.packages.filter((p) => !input.packages.some((q) => q.dependencies.includes(p.name)));
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: '',
    version: 1,
    metadata: {
      timestamp: new Date(input.epoch * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      tools: { components: [{ type: 'application', name: 'platform-constructs runtime/image', version: input.version }] },
      component: {
        type: 'container',
        'bom-ref': root,
        name: input.name,
        version: input.version,
        licenses: licenses(input.license),
        properties: [{ name: 'org.opencontainers.image.revision', value: input.revision }],
      },
    },
    components: [...npm, runtime, ...debs],
    dependencies: [
      { ref: root, dependsOn: [...direct.map((p) => names.get(p.name)!), runtime['bom-ref'], ...debs.map((d) => d['bom-ref'])].sort() },
      ...input.packages.map((p) => ({ ref: names.get(p.name)!, dependsOn: p.dependencies.map((d) => names.get(d)!).sort() })),
    ],
  };
  const hash = createHash('sha256').update(JSON.stringify(bom)).digest('hex');
  bom.serialNumber = `urn:uuid:${hash.slice(0, 8)}-${hash.slice(8, 12)}-5${hash.slice(13, 16)}-8${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
  return bom;
}
