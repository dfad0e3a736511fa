/**
 * A Redfish BMC for the WAO tests: sushy-tools' static responder (`sushy-static`, PyPI
 * sushy-tools, version in versions.json) serving a vendor's mockup from redfish-mockup/ on
 * a free loopback port, over TLS with a CA of its own, behind sushy-tools' basic-auth
 * middleware (sushy_static_auth.py says why a launcher joins the two). Every document comes
 * from the emulator; none is served by TypeScript.
 *
 * The mockup is copied to a temp dir and sushy-static reads each file per request, so
 * `setInletTemp`, `writeDocument` and `removeDocument` change what the next GET returns.
 *
 * Vendors (one mockup each, so a client that probes the three layouts finds exactly one):
 * - dell: GET /redfish/v1/Chassis/System.Embedded.1/Sensors/SystemBoardInletTemp → Reading 22.5
 * - lenovo: GET /redfish/v1/Chassis/1/Sensors/128L0 (Name "Ambient Temp") → Reading 23.5
 * - supermicro: GET /redfish/v1/Chassis/1/Thermal → Temperatures[Name "System Temp"].ReadingCelsius 24.5
 * and, for all, /redfish/v1/Systems (one member) → /redfish/v1/Systems/{id}/MachineLearningModel
 * with PowerConsumptionModel {Name, Url, Type, Version}.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, ManagedProcess, removeOnExit } from '../cluster/process.js';
import { waitForPeer } from './http.js';
import { makePeerTls } from './tls.js';
import { PEERS_DIR, pythonPeersVenv, venvBin } from './venv.js';

const run = promisify(execFile);

export type RedfishVendor = 'dell' | 'lenovo' | 'supermicro';

/** Where each vendor's inlet temperature is, and its value in the mockup. */
export const REDFISH_INLET: Record<RedfishVendor, { readonly path: string; readonly reading: number; readonly systemId: string }> = {
  dell: { path: '/redfish/v1/Chassis/System.Embedded.1/Sensors/SystemBoardInletTemp', reading: 22.5, systemId: 'System.Embedded.1' },
  lenovo: { path: '/redfish/v1/Chassis/1/Sensors/128L0', reading: 23.5, systemId: '1' },
  supermicro: { path: '/redfish/v1/Chassis/1/Thermal', reading: 24.5, systemId: '1' },
};

export interface PowerConsumptionModel {
  readonly Name: string;
  readonly Url: string;
  readonly Type: string;
  readonly Version: string;
}

export interface RedfishPeerOptions {
  /** @default 'supermicro' */
  readonly vendor?: RedfishVendor;
  /** Basic-auth credentials; false serves without auth. @default user `wao` with a random password */
  readonly auth?: { readonly username: string; readonly password: string } | false;
  /** @default true */
  readonly tls?: boolean;
  /** The inlet temperature to serve instead of the mockup's. */
  readonly inletTemp?: number;
  /** The MachineLearningModel's PowerConsumptionModel (e.g. pointing at startInference()'s url). */
  readonly powerConsumptionModel?: PowerConsumptionModel;
}

export interface RedfishPeer {
  /** e.g. https://127.0.0.1:40123 (no trailing slash, no /redfish/v1). */
  readonly url: string;
  readonly vendor: RedfishVendor;
  /** The CA that signed the serving certificate (PEM); '' without TLS. */
  readonly caPem: string;
  readonly username?: string;
  readonly password?: string;
  /** The first (only) member of /redfish/v1/Systems. */
  readonly systemId: string;
  /** Milliseconds from spawn to the first answer of /redfish/v1. */
  readonly startMs: number;
  /** The served mockup dir (a copy). */
  readonly mockupDir: string;
  setInletTemp(celsius: number): void;
  /** Writes the document served at `path` (/redfish/v1/...): an object as JSON, a string as is. */
  writeDocument(path: string, doc: unknown): void;
  readDocument(path: string): unknown;
  /** The next GET of `path` answers 404. */
  removeDocument(path: string): void;
  readonly log: string;
  stop(): Promise<void>;
}

function docFile(mockupDir: string, path: string): string {
  if (!path.startsWith('/redfish/v1')) throw new Error(`not a Redfish path: ${path}`);
  return join(mockupDir, path.slice('/redfish/v1'.length), 'index.json');
}

/** bcrypt digest for the htpasswd file: the only digest sushy-tools accepts. Cost 4 keeps each request cheap. */
async function bcryptDigest(venv: string, password: string): Promise<string> {
  const { stdout } = await run(venvBin(venv, 'python'), [
    '-c', 'import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(rounds=4)).decode())', password,
  ]);
  return stdout.trim();
}

export async function startRedfish(opts: RedfishPeerOptions = {}): Promise<RedfishPeer> {
  const vendor = opts.vendor ?? 'supermicro';
  const tlsOn = opts.tls ?? true;
  const auth = opts.auth === false ? undefined : (opts.auth ?? { username: 'wao', password: randomBytes(9).toString('base64url') });
  const venv = await pythonPeersVenv();
  const dir = mkdtempSync(join(tmpdir(), 'wao-redfish-'));
  removeOnExit(dir);
  const mockupDir = join(dir, 'mockup');
  cpSync(join(PEERS_DIR, 'redfish-mockup', vendor), mockupDir, { recursive: true });

  const writeDocument = (path: string, doc: unknown) => {
    const f = docFile(mockupDir, path);
    mkdirSync(join(f, '..'), { recursive: true });
    // Write-then-rename: sushy-static never reads a half-written file.
    writeFileSync(`${f}.tmp`, typeof doc === 'string' ? doc : `${JSON.stringify(doc, null, 2)}\n`);
    renameSync(`${f}.tmp`, f);
  };
  const readDocument = (path: string): unknown => JSON.parse(readFileSync(docFile(mockupDir, path), 'utf8'));
  const setInletTemp = (celsius: number) => {
    const { path } = REDFISH_INLET[vendor];
    const doc = readDocument(path) as Record<string, unknown>;
    if (vendor === 'supermicro') {
      for (const t of doc.Temperatures as Array<Record<string, unknown>>) if (t.Name === 'System Temp') t.ReadingCelsius = celsius;
    } else doc.Reading = celsius;
    writeDocument(path, doc);
  };
  const systemId = REDFISH_INLET[vendor].systemId;
  if (opts.inletTemp !== undefined) setInletTemp(opts.inletTemp);
  if (opts.powerConsumptionModel) {
    const p = `/redfish/v1/Systems/${systemId}/MachineLearningModel`;
    writeDocument(p, { ...(readDocument(p) as object), PowerConsumptionModel: opts.powerConsumptionModel });
  }

  const tls = tlsOn ? await makePeerTls(dir, 'sushy-static') : undefined;
  const port = await freePort();
  const args = ['-i', '127.0.0.1', '-p', String(port), '-m', mockupDir, ...(tls ? ['-c', tls.certPath, '-k', tls.keyPath] : [])];
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
  let proc: ManagedProcess;
  const log = join(dir, 'sushy-static.log');
  const t0 = Date.now();
  if (auth) {
    const htpasswd = join(dir, 'htpasswd');
    writeFileSync(htpasswd, `${auth.username}:${await bcryptDigest(venv, auth.password)}\n`, { mode: 0o600 });
    env.SUSHY_STATIC_AUTH_FILE = htpasswd;
    proc = new ManagedProcess('sushy-static (basic auth)', venvBin(venv, 'python'), [join(PEERS_DIR, 'sushy_static_auth.py'), ...args], log, env);
  } else {
    proc = new ManagedProcess('sushy-static', venvBin(venv, 'sushy-static'), args, log, env);
  }
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  try {
    // The service root is open even with auth (as in sushy-emulator).
    await waitForPeer(`${url}/redfish/v1`, { proc, ...(tls ? { ca: tls.caPem } : {}), within: 30_000 });
  } catch (err) {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    removeOnExit(dir, false);
    throw err;
  }
  const startMs = Date.now() - t0;
  return {
    url,
    vendor,
    caPem: tls?.caPem ?? '',
    ...(auth ? { username: auth.username, password: auth.password } : {}),
    systemId,
    startMs,
    mockupDir,
    setInletTemp,
    writeDocument,
    readDocument,
    removeDocument: (path) => rmSync(docFile(mockupDir, path), { force: true }),
    log,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
      removeOnExit(dir, false);
    },
  };
}
