/**
 * Names the job measurement daemon, its webhook, its monitor sidecar and its construct share.
 * The environment variable names and defaults are the original servo-k8s-multijob's
 * (opsani/servo-k8s-multijob `w2.py`), so existing deployments keep their configuration.
 */

/** The controller's name in the platform-controllers image (`platform-controllers servo`). */
export const SERVO = 'servo';
/** The monitor's command in the same image (`platform-controllers servo-monitor`). */
export const SERVO_MONITOR_COMMAND = 'servo-monitor';

/**
 * How the monitor starts in the platform-controllers image: its own small bundle (the image's
 * Node.js and `/app/servo-monitor.mjs`), the same code as `platform-controllers servo-monitor`
 * without the controllers' (half the memory).
 */
export const MONITOR_COMMAND = ['/nodejs/bin/node', '/app/servo-monitor.mjs'] as const;

/** Held on a job pod (added by the webhook) until its measurement is accepted by the optimizer. */
export const MEASUREMENT_FINALIZER = 'servo.platform-constructs.io/measurement';
/**
 * Written on a job pod once its measurement is settled: JSON `{"at":"<RFC 3339>","status":<HTTP
 * status>}` (2xx accepted; another 4xx: refused for good, see the pod's Events). A pod carrying it
 * is never reported again, whatever restarts or relists happen.
 */
export const MEASURED_ANNOTATION = 'servo.platform-constructs.io/measured';
/** Name of the injected monitor (a native sidecar: an init container with `restartPolicy: Always`). */
export const MONITOR_CONTAINER = 'servo-monitor';
/** The original's optional estimate of the job's end (Unix seconds), reported as `est_duration`. */
export const DONE_AT_ANNOTATION = 'done-at';
/** Server-side apply / patch field manager of the daemon's writes. */
export const SERVO_FIELD_MANAGER = 'platform-controllers-servo';

/** The original's `OPTUNE_URL` default: `{acct}` is the account, `{app_id}` the job's app id. */
export const DEFAULT_OPTUNE_URL = 'https://us-central1-optune-saas-collect.cloudfunctions.net/metrics/{acct}/{app_id}/servo';
/** The original's `OPTUNE_APP_ID` default: the value of env `JOBID` of the first container. */
export const DEFAULT_APP_ID_PATH = 'spec/containers/0/env/[JOBID]';
/** The original's `POD_NAMESPACES` default. */
export const DEFAULT_POD_NAMESPACES = 'default';
/** App id of the daemon's own HELLO and GOODBYE events. */
export const GLOBAL_APP_ID = '_global_';

/** The environment variables of the original, read as fallbacks of the flags. */
export const ServoEnv = {
  url: 'OPTUNE_URL',
  account: 'OPTUNE_ACCOUNT',
  authToken: 'OPTUNE_AUTH_TOKEN',
  namespaces: 'POD_NAMESPACES',
  appIdPath: 'OPTUNE_APP_ID',
  monitorImage: 'OPTUNE_SLEEPER_IMG',
} as const;

/** The admission webhook: path the daemon serves and its fully qualified name. */
export const SERVO_WEBHOOK_PATH = '/mutate-pods';
export const SERVO_WEBHOOK_NAME = 'pods.servo.platform-constructs.io';
