/** Where WAO's objects live on the API server, and the shapes the runtime reads. */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  WAO_API_VERSION,
  type NodeConfigObject,
  type NodeConfigTemplateObject,
} from '../../lib/api/wao/index.js';
import type { ResourceRef } from '../kit/index.js';

export const NODES = { apiVersion: 'v1', resource: 'nodes' } as const satisfies ResourceRef;
export const SECRETS = { apiVersion: 'v1', resource: 'secrets' } as const satisfies ResourceRef;
export const CONFIGMAPS = { apiVersion: 'v1', resource: 'configmaps' } as const satisfies ResourceRef;
export const NODECONFIGS = { apiVersion: WAO_API_VERSION, resource: 'nodeconfigs' } as const satisfies ResourceRef;
export const NODECONFIGTEMPLATES = { apiVersion: WAO_API_VERSION, resource: 'nodeconfigtemplates' } as const satisfies ResourceRef;

/** A Node as WAO reads it: labels and addresses. */
export interface Node extends KubernetesObject {
  status?: { addresses?: Array<{ type: string; address: string }> };
}

/** Objects as the informers hold them (`kind` and `apiVersion` may be absent from list items). */
export type NodeConfig = NodeConfigObject & KubernetesObject;
export type NodeConfigTemplate = NodeConfigTemplateObject & KubernetesObject;

export function withKind<T extends KubernetesObject>(obj: T, kind: 'NodeConfig' | 'NodeConfigTemplate'): T & { apiVersion: string; kind: string } {
  return { ...obj, apiVersion: WAO_API_VERSION, kind };
}
