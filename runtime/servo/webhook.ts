/**
 * The mutating webhook (every replica serves it): a job pod gets the measurement finalizer and
 * the monitor sidecar at CREATE (lib/api/servo `injectionFor`); any other pod is allowed as it is.
 * Replaces the original's Initializer (an alpha API removed in Kubernetes 1.14).
 */
import { jobAppId, injectionFor, type JobPodObject, type ServoOptions } from '../../lib/api/servo/index.js';
import { admission, type AdmissionRequest, type AdmissionResult } from '../kit/index.js';
import type { Counter } from 'prom-client';

export function servoAdmission(options: ServoOptions, injected?: Counter<'result'>) {
  const selection = { namespaces: options.namespaces, appIdPath: options.appIdPath };
  return (req: AdmissionRequest<JobPodObject>): AdmissionResult => {
    const pod = req.object;
    if (req.operation !== 'CREATE' || req.kind.kind !== 'Pod' || !pod) return admission.allow();
    // At CREATE the object may not carry its namespace yet: the request's is the one.
    const withNs: JobPodObject = { ...pod, metadata: { ...pod.metadata, namespace: pod.metadata?.namespace ?? req.namespace } };
    if (jobAppId(withNs, selection) === undefined) {
      injected?.inc({ result: 'not-a-job' });
      return admission.allow();
    }
    const { patch, warnings } = injectionFor(withNs, options.monitor);
    injected?.inc({ result: patch.length ? 'injected' : 'unchanged' });
    return patch.length ? admission.patch(patch, warnings) : admission.allow(warnings);
  };
}
