/**
 * What a test node leaves on the machine, read from the kernel: processes, mounts, network
 * namespaces and links, cgroups and iptables chains. A snapshot before startCluster({ node })
 * and one after stop() must be equal.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MachineSnapshot {
  /** Processes of any test node's components. */
  readonly processes: string[];
  /** Mount points of test clusters' directories. */
  readonly mounts: string[];
  /** Links named like a test node's bridge (and its veths, by their master). */
  readonly links: string[];
  /** Network namespaces with a name. */
  readonly netns: string[];
  /** cgroups of test nodes, in every hierarchy. */
  readonly cgroups: string[];
  /** iptables chains of kube-proxy and the CNI plugins, in every table. */
  readonly chains: string[];
}

const NODE_COMPONENTS = /(^|\/)(containerd|containerd-shim-runc-v2|kubelet|kube-proxy|kube-scheduler|runc)\0/;

export function snapshotMachine(): MachineSnapshot {
  const processes: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('platform-constructs-cluster-') && NODE_COMPONENTS.test(cmdline)) processes.push(cmdline.split('\0')[0]);
    } catch {
      /* gone */
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.includes('platform-constructs-cluster-'));
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => /^pc[0-9a-f]{6}$/.test(n) || /^veth/.test(n));
  const netns = existsSync('/var/run/netns') ? readdirSync('/var/run/netns') : [];
  const cgroups: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', h);
    try {
      for (const e of readdirSync(dir)) if (e.startsWith('platform-constructs-')) cgroups.push(`${h}/${e}`);
    } catch {
      /* not a directory */
    }
  }
  let chains: string[] = [];
  try {
    chains = execFileSync('iptables-save', [], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => /^:(KUBE-|CNI-)/.test(l))
      .map((l) => l.split(' ')[0]);
  } catch {
    /* no iptables: no chains */
  }
  const sorted = (a: string[]) => [...new Set(a)].sort();
  return { processes: sorted(processes), mounts: sorted(mounts), links: sorted(links), netns: sorted(netns), cgroups: sorted(cgroups), chains: sorted(chains) };
}
