/**
 * The power-consumption predictor's endpoint as a Redfish BMC describes it (WAO's own
 * `MachineLearningModel` resource, not a DMTF schema):
 * `GET /redfish/v1/Systems` → first member → `GET /redfish/v1/Systems/{id}/MachineLearningModel`
 * → `PowerConsumptionModel {Name, Url, Type, Version}`.
 */
import { EndpointError } from './errors.js';
import { asObject, fetchJson, type CallContext } from './http.js';
import { joinPath } from './endpoint.js';

/** A predictor endpoint: its type and the full infer URL. */
export interface PredictorEndpoint {
  readonly type: 'V2InferenceProtocol' | 'Fake';
  readonly endpoint: string;
}

/** Reads the first system's PowerConsumptionModel and builds its V2 infer URL. */
export async function redfishPredictorEndpoint(ctx: CallContext, base: URL): Promise<PredictorEndpoint> {
  const systems = await fetchJson(ctx, 'GET', joinPath(base, '/redfish/v1/Systems'));
  const fail = (what: string, why: string, reason: 'MalformedResponse' | 'SensorNotFound' = 'MalformedResponse') =>
    new EndpointError(reason, `${what}: ${why}`, { url: systems.answer.shownUrl });
  const members = asObject(systems.doc)?.Members;
  if (!Array.isArray(members)) throw fail(systems.what, '"Members" is not a list');
  if (members.length === 0) throw fail(systems.what, 'no system is listed', 'SensorNotFound');
  const id = systemId(members[0]);
  if (!id) throw fail(systems.what, 'the first member has no "@odata.id"');

  const model = await fetchJson(ctx, 'GET', joinPath(base, `/redfish/v1/Systems/${encodeURIComponent(id)}/MachineLearningModel`));
  const bad = (why: string) => new EndpointError('MalformedResponse', `${model.what}: ${why}`, { url: model.answer.shownUrl });
  const pcm = asObject(asObject(model.doc)?.PowerConsumptionModel);
  if (!pcm) throw bad('"PowerConsumptionModel" is missing');
  const str = (k: string) => (typeof pcm[k] === 'string' ? (pcm[k] as string) : undefined);
  const [name, url, type, version] = [str('Name'), str('Url'), str('Type'), str('Version') ?? ''];
  if (type !== 'V2InferenceProtocol') throw bad(`PowerConsumptionModel.Type is ${type === undefined ? 'missing' : JSON.stringify(type.slice(0, 40))}, not "V2InferenceProtocol"`);
  if (!name) throw bad('PowerConsumptionModel.Name is empty');
  if (!url) throw bad('PowerConsumptionModel.Url is empty');
  const versions = version ? `/versions/${encodeURIComponent(version)}` : '';
  const endpoint = `${url.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(name)}${versions}/infer`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(endpoint);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username || parsed.password) {
    throw bad('PowerConsumptionModel.Url is not an http(s) URL without credentials');
  }
  return { type, endpoint };
}

/** The last segment of a member's `@odata.id` (or its `Id`/`id`). */
function systemId(member: unknown): string | undefined {
  const m = asObject(member);
  const odata = m?.['@odata.id'];
  if (typeof odata === 'string') {
    const last = odata.replace(/\/+$/, '').split('/').pop();
    if (last) {
      try {
        return decodeURIComponent(last);
      } catch {
        return last;
      }
    }
  }
  for (const k of ['Id', 'id']) if (typeof m?.[k] === 'string' && m[k]) return m[k] as string;
  return undefined;
}
