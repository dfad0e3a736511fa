/**
 * What the optimizer receives, as the original sends it (servo-k8s-multijob `send()`,
 * `report()`): `POST` of `{"event": ..., "param": ...}` JSON to `OPTUNE_URL` with `{acct}` and
 * `{app_id}` replaced, `Authorization: Bearer <token>` only when a token is set.
 */

export type OptimizerEventName = 'HELLO' | 'GOODBYE' | 'MEASUREMENT';

/** One metric of a measurement. */
export interface MetricValue {
  readonly value: number;
  readonly unit: string;
}

/** `param` of a MEASUREMENT. */
export interface MeasurementParam {
  readonly metrics: {
    readonly duration: MetricValue;
    /** 1 / duration; absent when the duration is 0 (a job shorter than the 1 s resolution of the timestamps). */
    readonly perf?: MetricValue;
    /** Only when the monitor measured it. */
    readonly cpu_time?: MetricValue;
    /** Only when the monitor measured it. */
    readonly max_memory?: MetricValue;
    /** From the pod's `done-at` annotation (Unix seconds) minus its creation. */
    readonly est_duration?: MetricValue;
  };
  readonly annotations: {
    /** JSON of the job container's `resources`. */
    readonly resources: string;
    readonly exitcode: number;
  };
}

/** `param` of a MEASUREMENT for a job that never ran. */
export interface FailedMeasurementParam {
  readonly status: 'failed';
  readonly message: string;
}

export type OptimizerEvent =
  | { readonly event: 'HELLO'; readonly param: { readonly account: string | null } }
  | { readonly event: 'GOODBYE'; readonly param: { readonly account: string | null; readonly reason: string } }
  | { readonly event: 'MEASUREMENT'; readonly param: MeasurementParam | FailedMeasurementParam };

export const helloEvent = (account: string | undefined): OptimizerEvent => ({ event: 'HELLO', param: { account: account ?? null } });
export const goodbyeEvent = (account: string | undefined, reason: string): OptimizerEvent => ({ event: 'GOODBYE', param: { account: account ?? null, reason } });
export const measurementEvent = (param: MeasurementParam | FailedMeasurementParam): OptimizerEvent => ({ event: 'MEASUREMENT', param });

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** A problem with the URL settings, and the setting it is about. */
export interface UrlProblem {
  readonly field: 'url' | 'account';
  readonly reason: string;
}

/** Problems with an `OPTUNE_URL` pattern (empty when fine); `account` is the one configured, if any. */
export function urlPatternProblems(pattern: string, account: string | undefined): UrlProblem[] {
  const problems: UrlProblem[] = [];
  const url = (reason: string) => problems.push({ field: 'url', reason });
  for (const [, name] of pattern.matchAll(PLACEHOLDER)) {
    if (name !== 'acct' && name !== 'app_id') url(`has the placeholder {${name}}: only {acct} and {app_id} are replaced`);
  }
  if (/[{}]/.test(pattern.replace(PLACEHOLDER, ''))) url('has an unbalanced { or }: only {acct} and {app_id} are replaced');
  if (pattern.includes('{acct}') && (account === undefined || account === '')) problems.push({ field: 'account', reason: 'must be set: the URL uses {acct} (OPTUNE_ACCOUNT)' });
  let parsed: URL | undefined;
  try {
    parsed = new URL(pattern.replace(PLACEHOLDER, 'x'));
  } catch {
    url(`"${pattern}" is not a URL`);
  }
  if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') url(`"${pattern}" must be http or https`);
  if (parsed && (parsed.username || parsed.password)) url('must not carry credentials: give the token as a Secret (OPTUNE_AUTH_TOKEN)');
  return problems;
}

/** The URL of one event: `{acct}` and `{app_id}` replaced, each percent-encoded as one path segment. */
export function optimizerUrl(pattern: string, account: string | undefined, appId: string): string {
  return pattern.replace(/\{acct\}/g, encodeURIComponent(account ?? '')).replace(/\{app_id\}/g, encodeURIComponent(appId));
}
