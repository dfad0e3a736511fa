/**
 * Issue #19 item 3: the admin GUI as ArmoniK.Infra 0.15.1 deploys it (`armonik/ingress/admin-gui.tf`,
 * `variables.tf` `gui`), of the version ArmoniK 2.23.0 pins, and as its image runs
 * (ArmoniK.Admin.GUI `Dockerfile`, `nginx/nginx.conf`, `nginx/nginx.default.conf`: port 1080,
 * uid 5000, pid, logs and temp files under /tmp; unchanged from v0.15.0 to the newest commit stored).
 */
import { Chart, Testing } from 'cdk8s';
import { AdminGui, ARMONIK_VERSIONS, ArmoniKServiceAccount } from '../../../constructs/armonik/index.js';
import { refused } from '../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const W = 'AdminGui test/gui';
const synth = (props: Record<string, unknown> = {}) => {
  const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
  const gui = new AdminGui(c, 'gui', any(props));
  return { gui, objects: Testing.synth(c) };
};
const kind = (objects: any[], k: string) => objects.find((o) => o.kind === k);

describe('AdminGui', () => {
  const { gui, objects } = synth();
  const deployment = kind(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  it('is a Deployment and a ClusterIP Service named gui, port 1080, labelled as Infra\'s', () => {
    expect(objects.map((o: any) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/gui', 'NetworkPolicy/gui', 'Service/gui']);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.metadata.labels).toMatchObject({ app: 'armonik', service: 'admin-gui' });
    const service = kind(objects, 'Service');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'app-port', port: 1080, targetPort: 1080, protocol: 'TCP', appProtocol: 'http' }]);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(gui.url).toBe('http://gui.armonik.svc.cluster.local:1080');
  });

  it('runs the GUI of ArmoniK 2.23.0 on 1080, probed on its English index', () => {
    expect(ARMONIK_VERSIONS.gui).toBe('0.15.1');
    expect(container.image).toBe('dockerhubaneo/armonik_admin_app:0.15.1');
    expect(container.ports).toEqual([{ name: 'app-port', containerPort: 1080, protocol: 'TCP' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/admin/en/', port: 1080 });
    // Alive while nginx accepts connections: a failing page takes the pod out of rotation, not restarts it.
    expect(container.livenessProbe.tcpSocket).toEqual({ port: 1080 });
    expect(container.livenessProbe.httpGet).toBeUndefined();
    expect(container.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '1Gi' },
    });
  });

  it('is restricted: uid 10001 (not the image\'s armonik user 5000), read-only root, a bounded emptyDir for each directory nginx writes', () => {
    expect(AdminGui.UID).toBe(10001);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(Object.fromEntries(pod.volumes.map((v: any) => [v.name, v.emptyDir.sizeLimit]))).toEqual({ run: '1Mi', log: '1Mi', 'nginx-temp': '256Mi' });
    for (const c of [...pod.containers, ...pod.initContainers]) expect(Object.keys(c.resources.limits)).toContain('ephemeral-storage');
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.volumeMounts.map((m: any) => m.mountPath).sort()).toEqual(['/tmp/log/nginx', '/tmp/nginx', '/tmp/run']);
    expect(pod.volumes.every((v: any) => v.emptyDir)).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('links the image\'s log files to the container\'s output before nginx starts (an init container, restricted too)', () => {
    expect(pod.initContainers).toHaveLength(1);
    const init = pod.initContainers[0];
    expect(init.image).toBe(container.image);
    expect(init.command.join(' ')).toContain('ln -sf /dev/stdout /tmp/log/nginx/access.log && ln -sf /dev/stderr /tmp/log/nginx/error.log');
    expect(init.volumeMounts).toEqual([{ name: 'log', mountPath: '/tmp/log/nginx' }]);
    expect(init.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  });

  it('takes Infra\'s settings: service type (HeadLess too), port, replicas, image, pod settings', () => {
    const lb = synth({ serviceType: 'LoadBalancer', port: 8080, replicas: 2, image: 'registry.local/gui:1', nodeSelector: { service: 'monitoring' }, serviceAccount: ArmoniKServiceAccount.fromName('gui') });
    const service = kind(lb.objects, 'Service');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports[0]).toMatchObject({ port: 8080, targetPort: 1080 });
    expect(lb.gui.url).toBe('http://gui.armonik.svc.cluster.local:8080');
    const p = kind(lb.objects, 'Deployment').spec;
    expect(p.replicas).toBe(2);
    expect(p.template.spec.containers[0].image).toBe('registry.local/gui:1');
    expect(p.template.spec.nodeSelector).toEqual({ service: 'monitoring' });
    expect(p.template.spec.tolerations).toEqual([{ key: 'service', operator: 'Equal', value: 'monitoring', effect: 'NoSchedule' }]);
    expect(p.template.spec.serviceAccountName).toBe('gui');
    const headless = kind(synth({ serviceType: 'HeadLess' }).objects, 'Service');
    expect(headless.spec).toMatchObject({ type: 'ClusterIP', clusterIP: 'None' });
    expect(headless.spec.ports[0].port).toBe(1080);
  });

  it('refuses bad input naming the field', () => {
    refused(() => synth({ serviceType: 'Ingress' }), W, 'serviceType', /"Ingress" is not 'ClusterIP', 'NodePort', 'LoadBalancer', 'HeadLess'/);
    refused(() => synth({ port: 0 }), W, 'port');
    refused(() => synth({ serviceType: 'HeadLess', port: 80 }), W, 'port', /HeadLess Service is reached on the container's port 1080/);
    refused(() => synth({ replicas: -1 }), W, 'replicas');
    refused(() => synth({ name: 'Admin' }), W, 'name');
    refused(() => synth({ image: 'Bad Image' }), W, 'image');
    refused(() => synth({ resources: { memoryLimit: 'lots' } }), W, 'resources.memoryLimit');
    refused(() => synth({ langs: ['en'] }), W, 'langs', /unknown field/);
    refused(() => synth({ imagePullPolicy: 'Sometimes' }), W, 'imagePullPolicy');
  });
});
