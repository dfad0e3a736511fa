/**
 * The test node's network, all on this machine: a Linux bridge with a gateway address in a
 * /24 of 10.200.0.0/13 (one per cluster, so two runs do not collide), from which the CNI bridge
 * plugin gives pods their addresses in the network namespaces containerd creates. kube-apiserver
 * listens on the gateway address, so pods reach it through the `kubernetes` Service (kube-proxy)
 * as in any cluster; nothing leaves the machine (no masquerading, no default route out).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NodeNetwork {
  /** The bridge device, `pc<6 hex>`. */
  readonly bridge: string;
  /** Its address, the pods' gateway and kube-apiserver's listen address. */
  readonly gateway: string;
  /** The pods' subnet (`10.2xx.y.0/24`). */
  readonly podCidr: string;
}

/** Runs a command of the node's network plumbing; the error names it and its output. */
export async function sh(cmd: string, args: readonly string[]): Promise<string> {
  try {
    const r = await run(cmd, args as string[], { maxBuffer: 64 << 20 });
    return r.stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${cmd} is not installed: the test node needs it (Debian: iproute2, iptables)`);
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Creates the bridge, picking a subnet no other interface of this machine uses. */
export async function createNodeNetwork(id: string): Promise<NodeNetwork> {
  const used = await sh('ip', ['-o', '-4', 'addr', 'show']);
  const seed = parseInt(id.slice(0, 4), 16);
  for (let i = 0; i < 2048; i++) {
    const n = (seed + i) % 2048;
    const prefix = `10.${200 + (n >> 8)}.${n & 255}`;
    if (used.includes(` ${prefix}.`)) continue;
    const net: NodeNetwork = { bridge: `pc${id.slice(0, 6)}`, gateway: `${prefix}.1`, podCidr: `${prefix}.0/24` };
    await sh('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    try {
      await sh('ip', ['addr', 'add', `${net.gateway}/24`, 'dev', net.bridge]);
      await sh('ip', ['link', 'set', net.bridge, 'up']);
    } catch (err) {
      await deleteNodeNetwork(net);
      throw err;
    }
    return net;
  }
  throw new Error('no free /24 left in 10.200.0.0/13 for a test node');
}

/** Removes the bridge (and with it its address and routes); the veths went with their namespaces. */
export async function deleteNodeNetwork(net: NodeNetwork): Promise<void> {
  await sh('ip', ['link', 'delete', net.bridge]).catch(() => undefined);
}
