/**
 * The differential-pressure API: `GET {endpoint}/api/sensor/by_nodename/{node}` answers
 * `{"code":200,"sensor":[{"pressure":0.01,"sensorid":"101037B","temperature":26.02}]}`;
 * the value is the first sensor's pressure.
 */
import { EndpointError } from './errors.js';
import { asObject, checkStatus, parseJson, send, type CallContext, type HttpAnswer } from './http.js';
import { joinPath } from './endpoint.js';

/** The differential pressure (Pa) the API reports for `nodeName`. */
export async function differentialPressure(ctx: CallContext, base: URL, nodeName: string): Promise<number> {
  const answer = await send(ctx, 'GET', joinPath(base, `/api/sensor/by_nodename/${encodeURIComponent(nodeName)}`));
  const what = `GET ${answer.shownUrl}`;
  if (answer.status === 404) {
    // A 404 in the API's own format says the node has no sensor; any other 404 is a wrong endpoint.
    const body = tryJson(answer.body);
    if (body && Array.isArray(body.sensor)) throw new EndpointError('SensorNotFound', `${what}: no sensor for node ${JSON.stringify(nodeName)} (HTTP 404)`, { url: answer.shownUrl, status: 404 });
  }
  checkStatus(answer, what);
  const doc = asObject(parseJson(answer, what));
  if (!doc) throw malformed(answer, what, 'the answer is not a JSON object');
  if (typeof doc.code !== 'number') throw malformed(answer, what, `"code" is ${doc.code === undefined ? 'missing' : 'not a number'}`);
  if (doc.code !== 200) throw new EndpointError('SensorNotFound', `${what}: the API answered code ${doc.code} for node ${JSON.stringify(nodeName)}`, { url: answer.shownUrl, status: answer.status });
  if (!Array.isArray(doc.sensor)) throw malformed(answer, what, '"sensor" is not a list');
  if (doc.sensor.length === 0) throw new EndpointError('SensorNotFound', `${what}: no sensor for node ${JSON.stringify(nodeName)} (empty "sensor" list)`, { url: answer.shownUrl, status: answer.status });
  const pressure = asObject(doc.sensor[0])?.pressure;
  if (typeof pressure !== 'number' || !Number.isFinite(pressure)) throw malformed(answer, what, 'sensor[0].pressure is not a number');
  return pressure;
}

function malformed(answer: HttpAnswer, what: string, why: string): EndpointError {
  return new EndpointError('MalformedResponse', `${what}: ${why}`, { url: answer.shownUrl, status: answer.status });
}

function tryJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    return asObject(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}
