/**
 * The names the servo's parts share (lib/api/servo/names.ts): valid where Kubernetes takes them,
 * and the original servo-k8s-multijob's environment variables and defaults.
 */
import { isQualifiedName } from '../../../lib/k8s/labels.js';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain } from '../../../lib/k8s/names.js';
import * as servo from '../../../lib/api/servo/index.js';
import {
  DEFAULT_APP_ID_PATH, DEFAULT_OPTUNE_URL, DEFAULT_POD_NAMESPACES, DONE_AT_ANNOTATION, GLOBAL_APP_ID, MEASURED_ANNOTATION, MEASUREMENT_FINALIZER,
  MONITOR_CONTAINER, SERVO, SERVO_FIELD_MANAGER, SERVO_MONITOR_COMMAND, SERVO_WEBHOOK_NAME, SERVO_WEBHOOK_PATH, ServoEnv,
} from '../../../lib/api/servo/names.js';
import { parseAppIdPath } from '../../../lib/api/servo/app-id.js';
import { urlPatternProblems } from '../../../lib/api/servo/wire.js';

describe('servo names', () => {
  it('the original\'s environment variables', () => {
    expect(ServoEnv).toEqual({
      url: 'OPTUNE_URL',
      account: 'OPTUNE_ACCOUNT',
      authToken: 'OPTUNE_AUTH_TOKEN',
      namespaces: 'POD_NAMESPACES',
      appIdPath: 'OPTUNE_APP_ID',
      monitorImage: 'OPTUNE_SLEEPER_IMG',
    });
  });

  it('the original\'s defaults, and they are valid', () => {
    expect(DEFAULT_OPTUNE_URL).toBe('https://us-central1-optune-saas-collect.cloudfunctions.net/metrics/{acct}/{app_id}/servo');
    expect(DEFAULT_APP_ID_PATH).toBe('spec/containers/0/env/[JOBID]');
    expect(DEFAULT_POD_NAMESPACES).toBe('default');
    expect(GLOBAL_APP_ID).toBe('_global_');
    expect(DONE_AT_ANNOTATION).toBe('done-at');
    expect(urlPatternProblems(DEFAULT_OPTUNE_URL, 'acct')).toEqual([]);
    expect(typeof parseAppIdPath(DEFAULT_APP_ID_PATH)).toBe('object');
  });

  it('the finalizer and the annotations are qualified names; ours carry a domain prefix', () => {
    for (const key of [MEASUREMENT_FINALIZER, MEASURED_ANNOTATION, DONE_AT_ANNOTATION]) expect([key, isQualifiedName(key)]).toEqual([key, true]);
    expect(MEASUREMENT_FINALIZER).toMatch(/^[a-z0-9.-]+\.[a-z]+\/[a-z-]+$/);
    expect(MEASURED_ANNOTATION).toMatch(/^[a-z0-9.-]+\.[a-z]+\/[a-z-]+$/);
  });

  it('the monitor\'s container name is a DNS-1123 label; the commands are the image\'s subcommands', () => {
    expect(isDns1123Label(MONITOR_CONTAINER)).toBe(true);
    expect([SERVO, SERVO_MONITOR_COMMAND]).toEqual(['servo', 'servo-monitor']);
    expect(isDns1035Label(SERVO)).toBe(true);
  });

  it('the webhook: a fully qualified name of three labels or more, an absolute path', () => {
    expect(isDns1123Subdomain(SERVO_WEBHOOK_NAME)).toBe(true);
    expect(SERVO_WEBHOOK_NAME.split('.').length).toBeGreaterThanOrEqual(3);
    expect(SERVO_WEBHOOK_PATH).toMatch(/^\/[a-z-]+$/);
    expect(SERVO_FIELD_MANAGER.length).toBeLessThanOrEqual(128);
    expect(SERVO_FIELD_MANAGER).toMatch(/servo/);
  });

  it('the barrel exports every part', () => {
    for (const name of ['parseAppIdPath', 'assessJob', 'optimizerUrl', 'encodeMonitorReport', 'injectionFor', 'servoOptionsFromFlags', 'servoRules', 'servoWebhook', 'isPodTerminal']) {
      expect([name, typeof (servo as Record<string, unknown>)[name]]).toEqual([name, 'function']);
    }
  });
});
