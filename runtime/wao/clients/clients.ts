/**
 * WaoClients: the four calls WAO's controller makes to the outside world (inlet temperature,
 * differential pressure, power prediction, the predictor's endpoint), one object per process so
 * that the keep-alive agents and the Redfish layout memo are shared by every NodeConfig.
 */
import type { EndpointType } from '../../../lib/api/wao/index.js';
import { differentialPressure } from './differential-pressure.js';
import { parseEndpoint } from './endpoint.js';
import { EndpointError, clip, redact } from './errors.js';
import { FAKE_VALUES } from './fake.js';
import { HttpTransport, callDeadline, type AgentStats, type CallContext } from './http.js';
import { redfishPredictorEndpoint, type PredictorEndpoint } from './redfish-provider.js';
import { LayoutMemo, redfishInletTemp } from './redfish.js';
import { checkPowerInput, predictPower, type PowerInput } from './v2-inference.js';

/** Where and how to reach an endpoint (a NodeConfig term with its Secret and CA bundle read). */
export interface EndpointAccess {
  readonly type: EndpointType;
  /** The URL; ignored for Fake. */
  readonly endpoint: string;
  /** Sent as `Authorization: Basic` when given (and only then). */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Skips TLS verification (the original always did). @default false */
  readonly insecureSkipVerify?: boolean;
  /** A PEM CA bundle that replaces the system roots. */
  readonly caPem?: string;
}

/** Limits of one call (all its requests: a Redfish detection makes up to four). */
export interface CallOptions {
  /** The whole call: connect, TLS, headers and bodies. */
  readonly timeoutMs: number;
  /** Cancels the call (it then fails with reason Timeout). */
  readonly signal?: AbortSignal;
}

export interface WaoClientsOptions {
  /** Larger answers fail with ResponseTooLarge. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** @default 'platform-controllers-wao' */
  readonly userAgent?: string;
  /** How many endpoints' Redfish layouts are remembered (least recently used out first). @default 10000 */
  readonly maxRemembered?: number;
}

type Run<T> = (ctx: CallContext, base: URL) => Promise<T>;

/**
 * The WAO clients. Every failure is an EndpointError; the Fake type answers FAKE_VALUES without
 * any network. TLS is verified unless `insecureSkipVerify`.
 */
export class WaoClients {
  private readonly transport: HttpTransport;
  private readonly layouts: LayoutMemo;

  constructor(options: WaoClientsOptions = {}) {
    const o = typeof options === 'object' && options !== null ? options : {};
    this.transport = new HttpTransport({
      ...(o.maxBodyBytes !== undefined ? { maxBodyBytes: o.maxBodyBytes } : {}),
      ...(o.userAgent !== undefined ? { userAgent: o.userAgent } : {}),
    });
    this.layouts = new LayoutMemo(o.maxRemembered ?? 10_000);
  }

  /** Inlet temperature (°C) from a Redfish BMC (Dell, Lenovo or Supermicro layout, detected). */
  fetchInletTemp(access: EndpointAccess, opts: CallOptions): Promise<number> {
    return this.call('inlet temperature', access, opts, ['Redfish'], FAKE_VALUES.inletTemp, (ctx, base) => redfishInletTemp(ctx, base, this.layouts));
  }

  /** Differential pressure (Pa) of `nodeName` from the differential-pressure API. */
  fetchDeltaP(access: EndpointAccess, nodeName: string, opts: CallOptions): Promise<number> {
    return this.call('differential pressure', access, opts, ['DifferentialPressureAPI'], FAKE_VALUES.deltaP, (ctx, base) => {
      if (typeof nodeName !== 'string' || nodeName === '') throw new EndpointError('InvalidEndpoint', 'the node name is empty');
      return differentialPressure(ctx, base, nodeName);
    });
  }

  /** Predicted power consumption (W) for `input` from a V2 inference endpoint. */
  predictPowerConsumption(access: EndpointAccess, input: PowerInput, opts: CallOptions): Promise<number> {
    return this.call('power consumption', access, opts, ['V2InferenceProtocol'], FAKE_VALUES.powerConsumption, (ctx, url) => predictPower(ctx, url, checkPowerInput(input)));
  }

  /** The power predictor's endpoint, read from a Redfish BMC's MachineLearningModel. */
  providePowerConsumptionEndpoint(access: EndpointAccess, opts: CallOptions): Promise<{ type: 'V2InferenceProtocol' | 'Fake'; endpoint: string }> {
    const fake: PredictorEndpoint = { ...FAKE_VALUES.endpoint };
    return this.call('power consumption endpoint', access, opts, ['Redfish'], fake, (ctx, base) => redfishPredictorEndpoint(ctx, base)).then((e) => ({ ...e }));
  }

  /** Sockets of the shared keep-alive agents. */
  agentStats(): AgentStats {
    return this.transport.stats();
  }

  /** How many endpoints have a remembered Redfish layout. */
  get rememberedLayouts(): number {
    return this.layouts.size;
  }

  /** Destroys the keep-alive sockets (later calls open new ones). */
  close(): void {
    this.transport.close();
  }

  private async call<T>(what: string, access: EndpointAccess, opts: CallOptions, types: readonly EndpointType[], fake: T, run: Run<T>): Promise<T> {
    const a = typeof access === 'object' && access !== null ? access : undefined;
    const auth = a?.basicAuth;
    try {
      if (!a) throw new EndpointError('InvalidEndpoint', `no endpoint is given for the ${what}`);
      if (a.type === 'Fake') return fake;
      if (!types.includes(a.type)) {
        const shown = typeof a.type === 'string' ? JSON.stringify(clip(a.type, 40)) : String(a.type);
        throw new EndpointError('InvalidEndpoint', `the ${what} endpoint type must be ${[...types, 'Fake'].join(' or ')}, not ${shown}`);
      }
      const ctxBase = checkAccess(a, what);
      const timeoutMs = opts?.timeoutMs;
      if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > 2_147_483_647) {
        throw new EndpointError('InvalidEndpoint', `the ${what} call needs a positive timeoutMs`);
      }
      const base = parseEndpoint(a.endpoint);
      const deadline = callDeadline(timeoutMs, opts.signal);
      try {
        return await run({ ...ctxBase, transport: this.transport, signal: deadline.signal }, base);
      } finally {
        deadline.dispose();
      }
    } catch (err) {
      const e = err instanceof EndpointError
        ? err
        : new EndpointError('ConnectionFailed', `the ${what} call failed unexpectedly: ${clip(err instanceof Error ? err.message : String(err), 120)}`);
      if (!auth || typeof auth !== 'object') throw e;
      const token = typeof auth.username === 'string' && typeof auth.password === 'string' ? Buffer.from(`${auth.username}:${auth.password}`).toString('base64') : undefined;
      throw redact(e, [typeof auth.password === 'string' ? auth.password : undefined, token]);
    }
  }
}

/** The TLS and auth part of `access`, checked (odd input from a Secret must not crash). */
function checkAccess(a: EndpointAccess, what: string): Omit<CallContext, 'transport' | 'signal'> {
  const { basicAuth, caPem, insecureSkipVerify } = a;
  if (basicAuth !== undefined && (typeof basicAuth !== 'object' || basicAuth === null || typeof basicAuth.username !== 'string' || typeof basicAuth.password !== 'string')) {
    throw new EndpointError('InvalidEndpoint', `the ${what} basic auth needs a username and a password (strings)`);
  }
  if (caPem !== undefined && typeof caPem !== 'string') throw new EndpointError('InvalidEndpoint', `the ${what} CA bundle is not text`);
  if (insecureSkipVerify !== undefined && typeof insecureSkipVerify !== 'boolean') throw new EndpointError('InvalidEndpoint', `the ${what} insecureSkipVerify is not a boolean`);
  return {
    tls: { insecureSkipVerify: insecureSkipVerify === true, ...(caPem ? { caPem } : {}) },
    ...(basicAuth ? { basicAuth: { username: basicAuth.username, password: basicAuth.password } } : {}),
  };
}
