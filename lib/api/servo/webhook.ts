import type { AdmissionWebhookSpec } from '../webhook.js';
import { SERVO_WEBHOOK_NAME, SERVO_WEBHOOK_PATH } from './names.js';

/** Seconds the API server waits for the webhook before admitting the pod unchanged. */
export const SERVO_WEBHOOK_TIMEOUT_SECONDS = 3;

/**
 * The mutating webhook on pod CREATE in the watched namespaces. `failurePolicy: Ignore`: a servo
 * that is down never blocks anyone's pods (the pod then runs unmeasured by the monitor, and is
 * still reported from its status if the daemon sees it end). The match condition keeps the API
 * server from calling it for pods that cannot be jobs (`restartPolicy: Always`).
 */
export function servoWebhook(namespaces: readonly string[]): AdmissionWebhookSpec {
  return {
    type: 'mutating',
    name: SERVO_WEBHOOK_NAME,
    path: SERVO_WEBHOOK_PATH,
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
    failurePolicy: 'Ignore',
    timeoutSeconds: SERVO_WEBHOOK_TIMEOUT_SECONDS,
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...namespaces] }] },
    matchConditions: [{ name: 'not-restart-always', expression: "object.spec.restartPolicy != 'Always'" }],
    // Never: the patch is whole at the first call; IfNeeded doubled the calls (the ServiceAccount
    // plugin reruns after the injection and changes the pod), measured by the servo bench.
    reinvocationPolicy: 'Never',
  };
}
