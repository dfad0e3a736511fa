/**
 * The HTTP clients of WAO's controller: Redfish inlet temperature, the differential-pressure
 * API, V2 inference power prediction and the Redfish predictor-endpoint provider, plus Fake.
 */
export { EndpointError, type EndpointFailureReason } from './errors.js';
export { WaoClients, type CallOptions, type EndpointAccess, type WaoClientsOptions } from './clients.js';
export { FAKE_VALUES } from './fake.js';
export type { PowerInput } from './v2-inference.js';
export type { AgentStats } from './http.js';
export type { PredictorEndpoint } from './redfish-provider.js';
export type { RedfishLayout } from './redfish.js';
