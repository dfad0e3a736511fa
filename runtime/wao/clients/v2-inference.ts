/**
 * Power consumption from a V2 (Open Inference Protocol) server: the endpoint is the model's
 * full `.../v2/models/{name}[/versions/{v}]/infer` URL, used as given (path prefix and query
 * kept: the original rebuilt it from host and model and lost a prefix).
 */
import { EndpointError } from './errors.js';
import { asObject, fetchJson, type CallContext } from './http.js';

/** The model's input row. */
export interface PowerInput {
  readonly cpuUsage: number;
  readonly inletTemp: number;
  readonly deltaP: number;
}

/** The documented request: one FP32 row `[cpuUsage, inletTemp, deltaP]` named `predict-prob`. */
export function powerInferenceRequest(input: PowerInput): string {
  return JSON.stringify({ inputs: [{ name: 'predict-prob', shape: [1, 3], datatype: 'FP32', data: [[input.cpuUsage, input.inletTemp, input.deltaP]] }] });
}

/** Checks the row: JSON has no NaN or Infinity (they would be sent as null). */
export function checkPowerInput(input: unknown): PowerInput {
  const o = asObject(input);
  for (const k of ['cpuUsage', 'inletTemp', 'deltaP'] as const) {
    const v = o?.[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new EndpointError('InvalidEndpoint', `the predictor input ${k} is ${v === undefined ? 'missing' : String(v).slice(0, 20)}, not a finite number`);
  }
  return o as unknown as PowerInput;
}

/** Watts predicted for `input`: `outputs[0].data[0]` of the answer. */
export async function predictPower(ctx: CallContext, url: URL, input: PowerInput): Promise<number> {
  const { doc, what, answer } = await fetchJson(ctx, 'POST', url, powerInferenceRequest(input));
  const outputs = asObject(doc)?.outputs;
  if (!Array.isArray(outputs) || outputs.length === 0) throw new EndpointError('MalformedResponse', `${what}: "outputs" is ${Array.isArray(outputs) ? 'empty' : 'missing'}`, { url: answer.shownUrl, status: answer.status });
  const data = asObject(outputs[0])?.data;
  const watts = Array.isArray(data) ? data[0] : undefined;
  if (typeof watts !== 'number' || !Number.isFinite(watts)) throw new EndpointError('MalformedResponse', `${what}: outputs[0].data[0] is not a finite number`, { url: answer.shownUrl, status: answer.status });
  return watts;
}
