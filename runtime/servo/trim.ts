/**
 * What the servo's cache keeps of a pod: the fields the assessment, the patch and the Events
 * read, and nothing else (finished job pods can stay in a namespace by the thousand). A pod whose
 * app id the trimmed copy would no longer find (an app id path into other fields) is kept whole.
 */
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { DONE_AT_ANNOTATION, MEASURED_ANNOTATION, appIdOf, type AppIdPath } from '../../lib/api/servo/index.js';

const list = <T>(x: T[] | undefined): T[] | undefined => (Array.isArray(x) ? x : undefined);

function container(c: V1Container): V1Container {
  return {
    name: c?.name,
    // Every entry is kept (an app id path may index the list); only name and value of each.
    ...(Array.isArray(c?.env) ? { env: c.env.map((e) => ({ name: e?.name, ...(e?.value !== undefined ? { value: e.value } : {}) })) } : {}),
    ...(c?.resources ? { resources: c.resources } : {}),
  } as V1Container;
}

function status(s: V1ContainerStatus): V1ContainerStatus {
  return { name: s?.name, containerID: s?.containerID, state: s?.state } as V1ContainerStatus;
}

export function trimPod(pod: V1Pod, path: AppIdPath): V1Pod {
  const m = pod.metadata ?? {};
  const annotations = Object.fromEntries(
    Object.entries(m.annotations ?? {}).filter(([k]) => k === MEASURED_ANNOTATION || k === DONE_AT_ANNOTATION),
  );
  const trimmed: V1Pod = {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(m.finalizers ? { finalizers: m.finalizers } : {}),
    },
    spec: pod.spec && {
      restartPolicy: pod.spec.restartPolicy,
      nodeName: pod.spec.nodeName,
      shareProcessNamespace: pod.spec.shareProcessNamespace,
      containers: list(pod.spec.containers)?.map(container) ?? [],
      ...(list(pod.spec.initContainers) ? { initContainers: pod.spec.initContainers!.map(container) } : {}),
    },
    status: pod.status && {
      phase: pod.status.phase,
      ...(list(pod.status.containerStatuses) ? { containerStatuses: pod.status.containerStatuses!.map(status) } : {}),
      ...(list(pod.status.initContainerStatuses) ? { initContainerStatuses: pod.status.initContainerStatuses!.map(status) } : {}),
    },
  } as V1Pod;
  return appIdOf(trimmed, path) === appIdOf(pod, path) ? trimmed : pod;
}
