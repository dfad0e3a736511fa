/**
 * ServiceMonitors and PodMonitors (Prometheus Operator `monitoring.coreos.com/v1`) and the ArmoniK
 * targets that stand for ArmoniK.Infra's scrape jobs (`monitoring/onpremise/prometheus/prometheus-configmap.tf`).
 */
import { Chart, Testing } from 'cdk8s';
import { ArmoniK } from '../../../constructs/armonik/index.js';
import { armonikMonitorTargets, checkPrometheusDuration, PrometheusMonitors } from '../../../constructs/armonik/prometheus-monitors.js';
import { refused } from '../../fixtures/validation.js';

const chart = (namespace = 'armonik') => new Chart(Testing.app(), 'test', { namespace });
const any = (v: unknown) => v as any;
const WHERE = 'PrometheusMonitors test/monitors';
const SERVICE = { name: 'control', kind: 'service', selector: { app: 'armonik' }, port: 'metrics-port' };
const synth = (props: unknown) => {
  const c = chart();
  new PrometheusMonitors(c, 'monitors', any(props));
  return Testing.synth(c);
};

describe('PrometheusMonitors', () => {
  it('renders a ServiceMonitor and a PodMonitor with the labels the Prometheus selects', () => {
    const objects = synth({
      labels: { release: 'prometheus' },
      interval: '30s',
      targets: [
        { ...SERVICE, path: '/metrics' },
        { name: 'agents', kind: 'pod', selector: { app: 'armonik', service: 'compute-plane' }, port: 'poll-agent-port', path: '/stats', interval: '1m30s' },
      ],
    });
    expect(objects).toEqual([
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'control', namespace: 'armonik', labels: { release: 'prometheus' } },
        spec: {
          selector: { matchLabels: { app: 'armonik' } },
          namespaceSelector: { matchNames: ['armonik'] },
          endpoints: [{ port: 'metrics-port', path: '/metrics', interval: '30s' }],
        },
      },
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata: { name: 'agents', namespace: 'armonik', labels: { release: 'prometheus' } },
        spec: {
          selector: { matchLabels: { app: 'armonik', service: 'compute-plane' } },
          namespaceSelector: { matchNames: ['armonik'] },
          podMetricsEndpoints: [{ port: 'poll-agent-port', path: '/stats', interval: '1m30s' }],
        },
      },
    ]);
  });

  it("leaves the interval to the Prometheus and the labels out when none are given; a target's namespace wins", () => {
    const [m] = synth({ namespace: 'hpc', targets: [{ ...SERVICE, namespace: 'other' }] });
    expect(m.metadata).toEqual({ name: 'control', namespace: 'other' });
    expect(m.spec.namespaceSelector).toEqual({ matchNames: ['other'] });
    expect(m.spec.endpoints).toEqual([{ port: 'metrics-port', path: '/metrics' }]);
  });

  it("adds Infra's kubernetes_* target labels when asked", () => {
    const [m] = synth({ targets: [{ ...SERVICE, kind: 'pod', infraLabels: true }] });
    expect(m.spec.podMetricsEndpoints[0].relabelings).toEqual([
      { sourceLabels: ['__meta_kubernetes_namespace'], action: 'replace', targetLabel: 'kubernetes_namespace' },
      { sourceLabels: ['__meta_kubernetes_pod_node_name'], action: 'replace', targetLabel: 'kubernetes_pod_node_name' },
      { sourceLabels: ['__meta_kubernetes_pod_name'], action: 'replace', targetLabel: 'kubernetes_pod_name' },
    ]);
  });

  it('accepts the durations of the operator and refuses zero', () => {
    for (const d of ['30s', '1m', '1h30m', '500ms', '1y2w3d4h5m6s7ms']) expect(checkPrometheusDuration('w', 'f', d)).toBe(d);
    for (const d of ['', '0', '0s', '30', '1.5s', '30 s', '1s1m', 30]) refused(() => checkPrometheusDuration('w', 'f', d), 'w', 'f');
  });
});

describe("ArmoniK's targets select what the ArmoniK constructs create", () => {
  const c = chart();
  const armonik = new ArmoniK(c, 'armonik', { controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {} });
  new PrometheusMonitors(c, 'monitors', { labels: { release: 'prometheus' }, targets: armonikMonitorTargets() });
  const objects = Testing.synth(c);
  const monitors = objects.filter((o) => o.apiVersion === 'monitoring.coreos.com/v1');
  const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('one monitor per Infra job', () => {
    expect(monitors.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['PodMonitor/armonik-control-plane', 'PodMonitor/armonik-polling-agent', 'ServiceMonitor/armonik-metrics-exporter']);
    expect(armonik).toBeDefined();
  });

  it('each selects pods or a Service with the named port', () => {
    const pods = objects.filter((o) => o.kind === 'Deployment').map((d) => d.spec.template);
    const services = objects.filter((o) => o.kind === 'Service');
    for (const m of monitors) {
      const endpoint = (m.spec.endpoints ?? m.spec.podMetricsEndpoints)[0];
      if (m.kind === 'PodMonitor') {
        const selected = pods.filter((p) => matches(m.spec.selector.matchLabels, p.metadata.labels));
        expect(selected.length).toBeGreaterThan(0);
        for (const p of selected) expect(p.spec.containers.flatMap((x: any) => x.ports ?? []).map((x: any) => x.name)).toContain(endpoint.port);
      } else {
        const selected = services.filter((s) => matches(m.spec.selector.matchLabels, s.metadata.labels));
        expect(selected.map((s) => s.metadata.name)).toEqual(['metrics-exporter']);
        expect(selected[0].spec.ports.map((x: any) => x.name)).toContain(endpoint.port);
      }
    }
  });
});

describe('PrometheusMonitors refuses bad input, naming the field', () => {
  const bad = (props: unknown) => () => new PrometheusMonitors(chart(), 'monitors', any(props));
  const target = (t: Record<string, unknown>) => bad({ targets: [{ ...SERVICE, ...t }] });
  it('no props', () => { refused(bad(undefined), WHERE, 'props'); });
  it('an unknown field', () => { refused(bad({ targets: [SERVICE], release: 'x' }), WHERE, 'release', /unknown field/); });
  it('no targets', () => { refused(bad({ targets: [] }), WHERE, 'targets'); });
  it('bad labels', () => { refused(bad({ targets: [SERVICE], labels: { 'bad key!': 'x' } }), WHERE, 'labels.bad key!', /label key/); });
  it('a bad default interval', () => { refused(bad({ targets: [SERVICE], interval: '30' }), WHERE, 'interval', /Prometheus duration/); });
  it('a bad namespace', () => { refused(bad({ targets: [SERVICE], namespace: 'Ops' }), WHERE, 'namespace'); });
  it('a target that is not an object', () => { refused(bad({ targets: ['x'] }), WHERE, 'targets[0]'); });
  it('an unknown target field', () => { refused(target({ scheme: 'https' }), WHERE, 'targets[0].scheme', /unknown field/); });
  it('a bad name', () => { refused(target({ name: 'Control' }), WHERE, 'targets[0].name'); });
  it('a bad target namespace', () => { refused(target({ namespace: 'a.b' }), WHERE, 'targets[0].namespace'); });
  it('a bad kind', () => { refused(target({ kind: 'endpoints' }), WHERE, 'targets[0].kind'); });
  it('an empty selector', () => { refused(target({ selector: {} }), WHERE, 'targets[0].selector', /at least one label/); });
  it('a bad selector value', () => { refused(target({ selector: { app: 'a b' } }), WHERE, 'targets[0].selector.app', /label value/); });
  it('a bad Service port name', () => { refused(target({ port: 'Metrics' }), WHERE, 'targets[0].port'); });
  it('a container port name over 15 characters', () => { refused(target({ kind: 'pod', port: 'polling-agent-metrics' }), WHERE, 'targets[0].port'); });
  it('a path without a leading slash', () => { refused(target({ path: 'metrics' }), WHERE, 'targets[0].path'); });
  it('a bad interval', () => { refused(target({ interval: '0s' }), WHERE, 'targets[0].interval'); });
  it('infraLabels that are not a boolean', () => { refused(target({ infraLabels: 'yes' }), WHERE, 'targets[0].infraLabels'); });
  it('the same monitor twice', () => { refused(bad({ targets: [SERVICE, SERVICE] }), WHERE, 'targets[1].name', /also targets\[0\]/); });
});
