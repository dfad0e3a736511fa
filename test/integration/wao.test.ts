/**
 * WAO's controller against the real API server, as its ServiceAccount with the RBAC its construct
 * ships: NodeConfigTemplates make, update and delete NodeConfigs as Node objects come, change and
 * go; the collectors read the real peers (sushy-tools' Redfish over TLS with basic auth and a CA
 * by reference, the differential-pressure server of the documented format) into status and
 * gauges, report each failure by reason and keep the last good reading; `POST /predict` answers
 * from MLServer (directly and through the Redfish endpoint provider), cached.
 */
import { jest } from '@jest/globals';
import { NodeConfigTemplateConditions, WAO_API_VERSION } from '../../lib/api/wao/index.js';
import { connectToTestCluster, randomSuffix, type KubeObject } from '../cluster/index.js';
import { startDifferentialPressure, type DpServer } from '../peers/differential-pressure.js';
import { expectedWatts, startInference, POWER_MODEL, type InferencePeer } from '../peers/inference.js';
import { REDFISH_INLET, startRedfish, type RedfishPeer } from '../peers/redfish.js';
import { pythonPeersUnavailable } from '../peers/venv.js';
import { removeKubeconfigs, waitFor } from './config-aggregator.support.js';
import { deployWao, startWao, type WaoProcess } from './wao.support.js';

jest.setTimeout(180_000);

const cluster = connectToTestCluster();
const why = pythonPeersUnavailable();
if (why) process.stderr.write(`WAO controller tests with the Python peers skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

const run = randomSuffix(6);
const SELECT = `wao-test.platform-constructs.io/run`;
const nodesMade: string[] = [];

async function putNode(name: string, labels: Record<string, string>, ip = '127.0.0.1'): Promise<void> {
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { addresses: [{ type: 'InternalIP', address: ip }] } };
  const res = await cluster.request('POST', '/api/v1/nodes', node, { allowStatus: [409] });
  if (res.statusCode === 409) await cluster.request('PATCH', `/api/v1/nodes/${name}`, { metadata: { labels } }, { contentType: 'application/merge-patch+json' });
  if (!nodesMade.includes(name)) nodesMade.push(name);
}

async function labelNode(name: string, labels: Record<string, string | null>): Promise<void> {
  await cluster.request('PATCH', `/api/v1/nodes/${name}`, { metadata: { labels } }, { contentType: 'application/merge-patch+json' });
}

const wao = (ns: string, plural: string, name = '') => `/apis/${WAO_API_VERSION}/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;

async function list(ns: string, plural: string): Promise<any[]> {
  return (await cluster.request('GET', wao(ns, plural))).body.items;
}

async function get(ns: string, plural: string, name: string): Promise<any | undefined> {
  const res = await cluster.request('GET', wao(ns, plural, name), undefined, { allowStatus: [404] });
  return res.statusCode === 404 ? undefined : res.body;
}

async function apply(objects: KubeObject[]): Promise<void> {
  await cluster.applyObjects(objects, { fieldManager: 'wao-user', force: true });
}

async function events(ns: string, name: string): Promise<any[]> {
  return (await cluster.request('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=${name}`)).body.items;
}

function condition(obj: any, type: string): any {
  return (obj?.status?.conditions ?? []).find((c: any) => c.type === type);
}

afterAll(async () => {
  removeKubeconfigs();
  for (const n of nodesMade) await cluster.request('DELETE', `/api/v1/nodes/${n}`, undefined, { allowStatus: [404] });
});

suite('WAO controller on a real API server with real peers', () => {
  let ns: string;
  let ctrl: WaoProcess;
  let redfish: RedfishPeer;
  let dp: DpServer;
  let inference: InferencePeer;
  const nodes = [`wao-${run}-a`, `wao-${run}-b`, `wao-${run}-c`];

  beforeAll(async () => {
    [redfish, dp, inference] = await Promise.all([
      startRedfish({ vendor: 'supermicro' }),
      startDifferentialPressure({ table: Object.fromEntries(nodes.map((n, i) => [n, 0.01 * (i + 1)])) }),
      startInference(),
    ]);
    ns = await cluster.createNamespace('wao');
    const d = await deployWao(cluster, ns);
    await apply([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bmc-auth', namespace: ns }, stringData: { username: redfish.username!, password: redfish.password! } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bmc-ca', namespace: ns }, data: { 'ca.crt': redfish.caPem } },
    ]);
    ctrl = await startWao(cluster, d, 'wao-0', ['--status-interval=1s']);
    await ctrl.process.waitReady();
    await waitFor('leadership', () => ctrl.process.isLeader(), 30_000);
  });

  afterAll(async () => {
    await ctrl?.process.stop();
    await Promise.all([redfish?.stop(), dp?.stop(), inference?.stop()]);
  });

  const port = () => new URL(redfish.url).port;
  const template = (name: string, selector: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: WAO_API_VERSION,
    kind: 'NodeConfigTemplate',
    metadata: { name, namespace: ns },
    spec: {
      nodeSelector: { matchLabels: selector },
      template: {
        nodeName: 'ignored',
        metricsCollector: {
          // The node's InternalIP through the template: every test node is at 127.0.0.1.
          inletTemp: { type: 'Redfish', endpoint: `https://{{.IPv4.Address}}:${port()}`, basicAuthSecret: { name: 'bmc-auth' }, caBundle: { configMap: { name: 'bmc-ca' } }, fetchInterval: '1s' },
          deltaP: { type: 'DifferentialPressureAPI', endpoint: dp.url, fetchInterval: '1s' },
        },
        predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: `${inference.url}${inference.inferPath}` } },
        ...extra,
      },
    },
  });

  it('makes one NodeConfig per selected node, and follows labels and nodes', async () => {
    await putNode(nodes[0], { [SELECT]: run });
    await putNode(nodes[1], { [SELECT]: run });
    await putNode(nodes[2], { [SELECT]: 'other' });
    await apply([template('racks', { [SELECT]: run })]);
    await waitFor('two NodeConfigs', async () => (await list(ns, 'nodeconfigs')).length === 2, 30_000);
    const nc = await get(ns, 'nodeconfigs', `racks-${nodes[0]}`);
    const t = await get(ns, 'nodeconfigtemplates', 'racks');
    expect(nc.spec.nodeName).toBe(nodes[0]);
    expect(nc.spec.metricsCollector.inletTemp.endpoint).toBe(`https://127.0.0.1:${port()}`);
    expect(nc.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'NodeConfigTemplate', name: 'racks', uid: t.metadata.uid, controller: true })]);

    // A label added: a third NodeConfig; a label removed: its NodeConfig goes.
    await labelNode(nodes[2], { [SELECT]: run });
    await waitFor('third NodeConfig', async () => !!(await get(ns, 'nodeconfigs', `racks-${nodes[2]}`)), 30_000);
    await labelNode(nodes[1], { [SELECT]: null });
    await waitFor('unselected NodeConfig deleted', async () => !(await get(ns, 'nodeconfigs', `racks-${nodes[1]}`)), 30_000);
    // A deleted node: its NodeConfig goes (the original left both behind).
    await cluster.request('DELETE', `/api/v1/nodes/${nodes[2]}`);
    await waitFor('NodeConfig of a deleted node deleted', async () => !(await get(ns, 'nodeconfigs', `racks-${nodes[2]}`)), 30_000);
    await waitFor('template status', async () => {
      const s = (await get(ns, 'nodeconfigtemplates', 'racks')).status;
      return s?.selectedNodes === 1 && s?.nodeConfigs === 1 && condition({ status: s }, NodeConfigTemplateConditions.Ready)?.status === 'True';
    }, 30_000);

    // A hand edit of an owned NodeConfig is converged back to the template.
    await cluster.request('PATCH', wao(ns, 'nodeconfigs', `racks-${nodes[0]}`), { spec: { metricsCollector: { deltaP: { endpoint: 'http://edited.example' } } } }, { contentType: 'application/merge-patch+json' });
    await waitFor('hand edit reverted', async () => (await get(ns, 'nodeconfigs', `racks-${nodes[0]}`)).spec.metricsCollector.deltaP.endpoint === dp.url, 30_000);
  });

  it('collects both metrics into status and gauges, over TLS with basic auth and a CA by reference', async () => {
    const name = `racks-${nodes[0]}`;
    await waitFor('readings', async () => {
      const nc = await get(ns, 'nodeconfigs', name);
      return nc?.status?.readings?.inletTemp?.value === REDFISH_INLET.supermicro.reading && nc?.status?.readings?.deltaP?.value === 0.01;
    }, 30_000);
    const nc = await get(ns, 'nodeconfigs', name);
    expect(condition(nc, 'Ready')).toMatchObject({ status: 'True' });
    expect(condition(nc, 'InletTempAvailable')).toMatchObject({ status: 'True', reason: 'Fetched' });
    expect(await ctrl.process.metric('wao_inlet_temperature_celsius', { node: nodes[0] })).toBe(REDFISH_INLET.supermicro.reading);
    expect(await ctrl.process.metric('wao_differential_pressure', { node: nodes[0] })).toBe(0.01);
    // The collectors of the nodes that went are stopped: one per metric per NodeConfig.
    expect(await ctrl.process.metric('wao_collectors', { metric: 'inletTemp' })).toBe(1);
    expect(await ctrl.process.metric('wao_collectors', { metric: 'deltaP' })).toBe(1);

    redfish.setInletTemp(27.5);
    await waitFor('new inlet reading', async () => (await get(ns, 'nodeconfigs', name))?.status?.readings?.inletTemp?.value === 27.5, 30_000);
  });

  it('reports each endpoint failure by reason, keeps the last good reading, and recovers', async () => {
    const name = `racks-${nodes[0]}`;
    const kept = (await get(ns, 'nodeconfigs', name)).status.readings.deltaP;
    const cases: Array<[Parameters<DpServer['fault']>[1], string]> = [
      ['html', 'NotJSON'],
      ['status500', 'HTTPStatus'],
      ['malformed-json', 'NotJSON'],
      ['empty-sensors', 'SensorNotFound'],
      ['timeout', 'Timeout'],
    ];
    for (const [fault, reason] of cases) {
      dp.fault(nodes[0], fault);
      await waitFor(`DeltaPAvailable False ${reason}`, async () => condition(await get(ns, 'nodeconfigs', name), 'DeltaPAvailable')?.reason === reason, 40_000, 200);
      const nc = await get(ns, 'nodeconfigs', name);
      expect(condition(nc, 'DeltaPAvailable').status).toBe('False');
      expect(condition(nc, 'Ready')).toMatchObject({ status: 'False', reason: 'MetricsUnavailable' });
      expect(nc.status.readings.deltaP.value).toBe(kept.value);
      dp.fault(nodes[0], undefined);
      await waitFor('recovered', async () => condition(await get(ns, 'nodeconfigs', name), 'DeltaPAvailable')?.status === 'True', 60_000, 200);
    }
    expect(await ctrl.process.metric('wao_fetches_total', { metric: 'deltaP', result: 'Timeout' })).toBeGreaterThan(0);
  });

  it('names a missing or wrong basic-auth Secret in the condition, and picks up the fixed password at once', async () => {
    const node = `wao-${run}-auth`;
    const nc = (secret: string): KubeObject => ({
      apiVersion: WAO_API_VERSION,
      kind: 'NodeConfig',
      metadata: { name: `auth-${run}`, namespace: ns },
      spec: {
        nodeName: node,
        metricsCollector: {
          inletTemp: { type: 'Redfish', endpoint: redfish.url, basicAuthSecret: { name: secret }, caBundle: { configMap: { name: 'bmc-ca' } }, fetchInterval: '1s' },
          deltaP: { type: 'Fake', fetchInterval: '1s' },
        },
      },
    });
    const inlet = async () => condition(await get(ns, 'nodeconfigs', `auth-${run}`), 'InletTempAvailable');
    // A Secret name left unrendered by a template (wao-core's behaviour) is just a missing Secret.
    await apply([nc('redfish-basicauth-{{.Unknown}}')]);
    await waitFor('SecretNotFound', async () => (await inlet())?.reason === 'SecretNotFound', 30_000, 200);
    expect((await inlet()).message).toContain(`${ns}/redfish-basicauth-{{.Unknown}}`);
    await apply([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wrong-auth', namespace: ns }, stringData: { username: redfish.username!, password: 'wrong' } }]);
    await apply([nc('wrong-auth')]);
    await waitFor('Unauthorized', async () => (await inlet())?.reason === 'Unauthorized', 30_000, 200);
    expect((await inlet()).message).not.toContain('wrong');
    await apply([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wrong-auth', namespace: ns }, stringData: { username: redfish.username!, password: redfish.password! } }]);
    await waitFor('fixed password used', async () => (await inlet())?.status === 'True', 30_000, 200);
    await cluster.request('DELETE', wao(ns, 'nodeconfigs', `auth-${run}`));
  });

  it('predicts watts from MLServer with the latest readings, and caches the answer', async () => {
    const nc = await get(ns, 'nodeconfigs', `racks-${nodes[0]}`);
    const { inletTemp, deltaP } = nc.status.readings;
    const first = await ctrl.predict({ node: nodes[0], cpuUsage: 40 });
    expect(first.status).toBe(200);
    expect(first.json.nodeConfig).toBe(`${ns}/racks-${nodes[0]}`);
    expect(first.json.watts).toBeCloseTo(expectedWatts(40, first.json.inputs.inletTemp, first.json.inputs.deltaP), 6);
    expect([inletTemp.value, 27.5]).toContain(first.json.inputs.inletTemp);
    expect(first.json.inputs.deltaP).toBe(deltaP.value);
    const second = await ctrl.predict({ node: nodes[0], cpuUsage: 40 });
    if (second.json.inputs.inletTemp === first.json.inputs.inletTemp && second.json.inputs.deltaP === first.json.inputs.deltaP) expect(second.json.cached).toBe(true);
    expect(await ctrl.process.metric('wao_predictions_total', { result: 'hit' })).toBeGreaterThanOrEqual(second.json.cached ? 1 : 0);

    expect((await ctrl.predict({ node: 'no-such-node', cpuUsage: 1 })).status).toBe(404);
    const bad = await ctrl.predict({ node: nodes[0], cpuUsage: -1 });
    expect(bad).toMatchObject({ status: 400, json: { reason: 'BadRequest' } });
    expect(bad.json.message).toMatch(/^cpuUsage/);
    expect((await ctrl.predict('{}', 'text/plain')).status).toBe(415);
  });

  it('finds the predictor through the Redfish endpoint provider', async () => {
    redfish.writeDocument(`/redfish/v1/Systems/${redfish.systemId}/MachineLearningModel`, {
      '@odata.id': `/redfish/v1/Systems/${redfish.systemId}/MachineLearningModel`,
      Id: 'MachineLearningModel',
      Name: 'Machine Learning Model',
      PowerConsumptionModel: { Name: POWER_MODEL.name, Url: inference.url, Type: 'V2InferenceProtocol', Version: POWER_MODEL.version },
    });
    await apply([
      template('provided', { [SELECT]: `${run}-provided` }, {
        predictor: {
          powerConsumptionEndpointProvider: { type: 'Redfish', endpoint: `https://127.0.0.1:${port()}`, basicAuthSecret: { name: 'bmc-auth' }, caBundle: { configMap: { name: 'bmc-ca' } } },
        },
      }),
    ]);
    const node = `wao-${run}-p`;
    dp.set(node, 0.5);
    await putNode(node, { [SELECT]: `${run}-provided` });
    await waitFor('deltaP 0.5', async () => (await get(ns, 'nodeconfigs', `provided-${node}`))?.status?.readings?.deltaP?.value === 0.5, 40_000);
    const res = await ctrl.predict({ node, cpuUsage: 10 });
    expect(res.status).toBe(200);
    expect(res.json.watts).toBeCloseTo(expectedWatts(10, res.json.inputs.inletTemp, 0.5), 6);
  });

  it('reports two templates selecting one node on both, and reconciles both', async () => {
    await putNode(nodes[1], { [SELECT]: run, 'wao-test.platform-constructs.io/also': run });
    await apply([template('also', { 'wao-test.platform-constructs.io/also': run })]);
    await waitFor('both NodeConfigs of the shared node', async () => !!(await get(ns, 'nodeconfigs', `also-${nodes[1]}`)) && !!(await get(ns, 'nodeconfigs', `racks-${nodes[1]}`)), 30_000);
    for (const [t, other] of [['also', 'racks'], ['racks', 'also']]) {
      await waitFor(`Conflict on ${t}`, async () => condition(await get(ns, 'nodeconfigtemplates', t), NodeConfigTemplateConditions.Conflict)?.status === 'True', 30_000);
      await waitFor(`Conflict Event on ${t}`, async () => (await events(ns, t)).some((e) => e.reason === 'Conflict' && e.message.includes(`${ns}/${other}`)), 30_000);
    }
  });

  it('leaves a NodeConfig it does not own alone, and says so', async () => {
    const node = `wao-${run}-own`;
    await apply([
      {
        apiVersion: WAO_API_VERSION,
        kind: 'NodeConfig',
        metadata: { name: `mine-${node}`, namespace: ns },
        spec: { nodeName: node, metricsCollector: { inletTemp: { type: 'Fake', fetchInterval: '1s' }, deltaP: { type: 'Fake', fetchInterval: '1s' } } },
      },
    ]);
    await putNode(node, { [SELECT]: `${run}-mine` });
    await apply([template('mine', { [SELECT]: `${run}-mine` })]);
    await waitFor('NameTaken Event', async () => (await events(ns, 'mine')).some((e) => e.reason === 'NameTaken'), 30_000);
    const nc = await get(ns, 'nodeconfigs', `mine-${node}`);
    expect(nc.spec.metricsCollector.inletTemp.type).toBe('Fake');
    expect(nc.metadata.ownerReferences).toBeUndefined();
    // Fake collectors: the original's values.
    await waitFor('fake readings', async () => {
      const r = (await get(ns, 'nodeconfigs', `mine-${node}`))?.status?.readings;
      return r?.deltaP?.value === 7.5 && r?.inletTemp?.value === 15.5;
    }, 30_000);
  });

  it('deletes the NodeConfigs of a deleted template and stops their collectors', async () => {
    await cluster.request('DELETE', wao(ns, 'nodeconfigtemplates', 'also'));
    await waitFor('also-* deleted', async () => (await list(ns, 'nodeconfigs')).every((nc) => !nc.metadata.name.startsWith('also-')), 30_000);
    const running = (await list(ns, 'nodeconfigs')).length;
    await waitFor('collectors match NodeConfigs', async () => (await ctrl.process.metric('wao_collectors', { metric: 'deltaP' })) === running, 30_000);
  });
});
