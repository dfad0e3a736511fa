/**
 * Every infrastructure module construct publishes what the ArmoniK.Infra 0.15.1 module of the same
 * kind publishes (its `terraform output -json` in test/fixtures/armonik), and is self-contained:
 * each Secret and ConfigMap its pods and its consumers reference is declared by the module, with
 * the keys they read (the Secrets as GeneratedSecrets, filled in the cluster).
 */
import { Chart, Testing } from 'cdk8s';
import {
  ActiveMq,
  AmazonMq,
  ExternalMongoDb,
  ExternalSqs,
  MinIo,
  MongoDb,
  NfsStorage,
  RabbitMq,
  Redis,
  TerraformModule,
} from '../../../constructs/modules/index.js';
import { ModuleOutputs, type IModule } from '../../../lib/contract/index.js';
import { terraformFixture, type TerraformFixture } from '../../fixtures/modules.js';
import { declaredKeys, unresolvedInObjects } from '../../fixtures/references.js';

const chart = () => new Chart(Testing.app(), 'test', { namespace: 'armonik' });
const parts = (m: IModule | ModuleOutputs) => (m instanceof ModuleOutputs ? m : m.outputs).toPodSpecParts();
const infra = (name: TerraformFixture) => ModuleOutputs.fromTerraformOutput(name, terraformFixture(name));
const spec = (o: any) => JSON.parse(o.metadata.annotations['platform-constructs.io/generate-spec']);

describe('modules render what ArmoniK.Infra 0.15.1 publishes', () => {
  it.each([
    ['activemq', (c: Chart) => new ActiveMq(c, 'activemq')],
    ['mongodb-percona', (c: Chart) => new MongoDb(c, 'mongodb')],
    ['nfs', (c: Chart) => new NfsStorage(c, 'nfs', { storageClass: 'nfs' })],
  ] as const)('%s: the very same pod parts', (name, make) => {
    const construct = make(chart());
    expect(parts(construct)).toEqual(parts(infra(name)));
    expect(construct.outputs.literalEnv()).toEqual(infra(name).literalEnv());
    expect(parts(new TerraformModule(chart(), name, terraformFixture(name)))).toEqual(parts(infra(name)));
  });

  it('rabbitmq: the same env through the AMQP 1.0 adaptor; its own secret names (Infra reuses ActiveMQ\'s)', () => {
    const m = new RabbitMq(chart(), 'rabbitmq');
    expect(m.outputs.literalEnv()).toEqual(infra('rabbitmq').literalEnv());
    expect(m.outputs.literalEnv()).toMatchObject({ Components__QueueAdaptorSettings__ClassName: 'ArmoniK.Core.Adapters.Amqp.QueueBuilder', Amqp__CaPath: '/amqp/ca.pem' });
    const p = parts(m);
    expect(p.envFrom).toEqual([{ secretRef: { name: 'rabbitmq-user-credentials' } }]);
    expect(p.volumes).toEqual([{ name: 'rabbitmq-secret1', secret: { secretName: 'rabbitmq', defaultMode: 0o644 } }]);
    expect(parts(infra('rabbitmq')).volumeMounts).toEqual(p.volumeMounts);
  });

  it.each([
    ['redis', (c: Chart) => new Redis(c, 'redis'), 'Redis__EndpointUrl', 'redis.armonik.svc.cluster.local:6379'],
    ['minio', (c: Chart) => new MinIo(c, 'minio'), 'S3__EndpointUrl', 'http://minio.armonik.svc.cluster.local:9000'],
  ] as const)('%s: the same env, the endpoint by its DNS name', (name, make, endpoint, value) => {
    const m = make(chart());
    const fixture = infra(name).literalEnv();
    expect(m.outputs.literalEnv()).toEqual({ ...fixture, [endpoint]: value });
  });

  it('activemq: the facts of the fixture', () => {
    const p = parts(new ActiveMq(chart(), 'activemq'));
    expect(p.env).toContainEqual({ name: 'Amqp__Port', value: '5672' });
    expect(p.envFrom).toEqual([{ secretRef: { name: 'activemq-user-credentials' } }]);
    expect(p.volumes).toEqual([{ name: 'certificate', secret: { secretName: 'activemq', defaultMode: 0o644 } }]);
  });
});

describe('in-cluster modules are self-contained', () => {
  const make = {
    ActiveMq: (c: Chart) => new ActiveMq(c, 'activemq'),
    RabbitMq: (c: Chart) => new RabbitMq(c, 'rabbitmq'),
    Redis: (c: Chart) => new Redis(c, 'redis'),
    MinIo: (c: Chart) => new MinIo(c, 'minio'),
    MongoDb: (c: Chart) => new MongoDb(c, 'mongodb'),
  };

  it.each(Object.entries(make))('%s: every Secret and ConfigMap its pods and consumers read is declared, with the keys read', (_kind, build) => {
    const c = chart();
    const m = build(c);
    // A consumer of the module, as a component would be.
    const consumer = { kind: 'Deployment', metadata: { name: 'consumer', namespace: 'armonik' }, spec: { template: { spec: { containers: [{ name: 'c', ...withoutVolumes(parts(m)) }], volumes: parts(m).volumes } } } };
    const objects = Testing.synth(c);
    expect(unresolvedInObjects([...objects, consumer])).toEqual([]);
    // No secret material in the manifests: the Secrets carry specs, not data.
    for (const s of objects.filter((o) => o.kind === 'Secret')) {
      expect(s.data ?? {}).toEqual({});
      expect(s.metadata.labels['platform-constructs.io/generate']).toBe('true');
    }
  });

  it('MongoDb: the Percona cluster refers to the declared users, TLS and password Secrets', () => {
    const c = chart();
    new MongoDb(c, 'mongodb');
    const objects = Testing.synth(c);
    const cluster = objects.find((o) => o.kind === 'PerconaServerMongoDB');
    const declared = new Map(objects.filter((o) => o.kind === 'Secret').map((s) => [s.metadata.name, declaredKeys(s)]));
    expect(cluster.spec.secrets).toEqual({ users: 'mongodb-db-ps-secrets', ssl: 'mongodb-db-ps-ssl', sslInternal: 'mongodb-db-ps-ssl-internal' });
    for (const name of Object.values(cluster.spec.secrets) as string[]) expect(declared.has(name)).toBe(true);
    expect(declared.get('mongodb-db-ps-ssl')).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(declared.get('mongodb-db-ps-secrets')).toEqual(expect.arrayContaining(['MONGODB_DATABASE_ADMIN_USER', 'MONGODB_DATABASE_ADMIN_PASSWORD', 'MONGODB_CLUSTER_MONITOR_USER', 'MONGODB_CLUSTER_MONITOR_PASSWORD']));
    const ref = cluster.spec.users[0].passwordSecretRef;
    expect(declared.get(ref.name)).toContain(ref.key);
    // The connection string Core uses: the application user, TLS, the replica set.
    const uri = spec(objects.find((o) => o.metadata.name === 'mongodb-connection-string')).keys.uri.template;
    expect(uri).toBe('mongodb://application_user:{{secret:mongodb-application-user-password/password}}@mongodb-db-ps-rs0.armonik.svc.cluster.local:27017/database?replicaSet=rs0&tls=true');
    // Restricted pods: the operator takes the security contexts from the cluster.
    expect(cluster.spec.replsets[0]).toMatchObject({ name: 'rs0', size: 1, containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    // The certificate covers the Service and every member of the replica set.
    expect(spec(objects.find((o) => o.metadata.name === 'mongodb-db-ps-ssl')).certificate).toMatchObject({
      commonName: 'mongodb-db-ps-rs0.armonik.svc.cluster.local', issuer: 'mongodb-ca',
      dnsNames: expect.arrayContaining(['mongodb-db-ps-rs0.armonik.svc.cluster.local', '*.mongodb-db-ps-rs0.armonik.svc.cluster.local']),
    });
  });

  it('ActiveMq: broker configuration in a ConfigMap, keystore and users generated, TLS certificate for the Service names', () => {
    const c = chart();
    new ActiveMq(c, 'activemq');
    const objects = Testing.synth(c);
    const config = objects.find((o) => o.kind === 'ConfigMap');
    expect(Object.keys(config.data).sort()).toEqual(['activemq.xml', 'connection.security.enabled', 'jetty.xml', 'log4j2.properties']);
    expect(config.data['activemq.xml']).toContain('<policyEntry queue=">" prioritizedMessages="true" />');
    expect(config.data['activemq.xml']).toContain('<transportConnector name="amqp+ssl" uri="amqp+ssl://0.0.0.0:5672');
    expect(config.data['activemq.xml']).toContain('<sslContext keyStore="file:/credentials/certificate.pfx" keyStorePassword="${keystore.password}"/>');
    const server = spec(objects.find((o) => o.metadata.name === 'activemq-server-certificates'));
    expect(server.certificate).toMatchObject({ commonName: 'activemq.armonik.svc.cluster.local', issuer: 'activemq-ca', dnsNames: ['activemq', 'activemq.armonik', 'activemq.armonik.svc', 'activemq.armonik.svc.cluster.local'] });
    expect(server.keys['certificate.pfx']).toEqual({ pkcs12: { passwordKey: 'keystore-password' } });
    expect(server.keys['credentials.properties'].template).toContain('guest.password={{secret:activemq-user-credentials/Amqp__Password}}');
    expect(server.keys['credentials.properties'].template).toContain('keystore.password={{key:keystore-password}}');
    const sts = objects.find((o) => o.kind === 'StatefulSet');
    expect(sts.spec.template.spec.containers[0].image).toBe('apache/activemq-classic:6.2.0');
    expect(sts.spec.template.spec.containers[0].volumeMounts).toEqual(expect.arrayContaining([
      { name: 'server', mountPath: '/credentials', readOnly: true },
      { name: 'configuration', mountPath: '/opt/apache-activemq/conf', readOnly: true },
      { name: 'data', mountPath: '/opt/apache-activemq/data' },
    ]));
  });

  it('RabbitMq: TLS listener only, the consumers as default user, AMQP 1.0 plugin; one node', () => {
    const c = chart();
    new RabbitMq(c, 'rabbitmq');
    const objects = Testing.synth(c);
    const conf = spec(objects.find((o) => o.metadata.name === 'rabbitmq-server-certificates')).keys['rabbitmq.conf'].template;
    expect(conf).toContain('listeners.tcp = none\nlisteners.ssl.default = 5671\n');
    expect(conf).toContain('default_user = {{secret:rabbitmq-user-credentials/Amqp__User}}');
    expect(objects.find((o) => o.metadata.name === 'rabbitmq-plugins').data.enabled_plugins).toBe('[rabbitmq_management,rabbitmq_amqp1_0].\n');
    expect(() => new RabbitMq(chart(), 'r', { replicas: 3 })).toThrow('RabbitMq test/r: replicas: 3: this module runs one node');
  });

  it('MinIo: the credentials are also the root user; the bucket is created by the server', () => {
    const c = chart();
    new MinIo(c, 'minio');
    const container = Testing.synth(c).find((o) => o.kind === 'StatefulSet').spec.template.spec.containers[0];
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'MINIO_ROOT_USER', valueFrom: { secretKeyRef: { name: 'minio-user-credentials', key: 'S3__Login' } } }]));
    expect(container.args).toEqual(['-c', 'mkdir -p /data/minio-bucket && exec minio server /data --address :9000 --console-address :9001']);
  });

  it('generateSecrets: false leaves the Secrets to the user', () => {
    const c = chart();
    new ActiveMq(c, 'activemq', { generateSecrets: false });
    const objects = Testing.synth(c);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(unresolvedInObjects(objects)).toEqual(['StatefulSet/activemq volume server: Secret armonik/activemq-server-certificates does not exist']);
  });
});

describe('external modules: props in, contract out, nothing deployed', () => {
  it('ExternalMongoDb', () => {
    const c = chart();
    const m = new ExternalMongoDb(c, 'atlas', {
      host: 'cluster0.abcde.mongodb.net', credentialsSecret: 'atlas-user', caSecret: 'atlas-ca', replicaSet: 'atlas-rs',
      connectionString: { secret: 'atlas-mongodbatlas-connection-string', key: 'string' }, sharding: true,
    });
    expect(Testing.synth(c)).toEqual([]);
    expect(m.outputs.literalEnv()).toMatchObject({ MongoDB__Host: 'cluster0.abcde.mongodb.net', MongoDB__Port: '27017', MongoDB__Tls: 'true', MongoDB__Sharding: 'true', MongoDB__CAFile: '/mongodb/certificate/mongodb-ca-cert' });
    expect(parts(m).env).toContainEqual({ name: 'MongoDB__ConnectionString', valueFrom: { secretKeyRef: { name: 'atlas-mongodbatlas-connection-string', key: 'string' } } });
    expect(parts(m).volumeMounts).toEqual([{ name: 'mongo-certificate', mountPath: '/mongodb/certificate', readOnly: true }]);
    expect(() => new ExternalMongoDb(chart(), 'x', { host: 'h', credentialsSecret: 'u', connectionString: { secret: 'Bad' } })).toThrow('ExternalMongoDb test/x: connectionString.secret: "Bad" is not a valid Secret name');
  });

  it('AmazonMq', () => {
    const c = chart();
    const m = new AmazonMq(c, 'mq', { host: 'b-1.mq.eu-west-3.amazonaws.com', credentialsSecret: 'mq-user' });
    expect(Testing.synth(c)).toEqual([]);
    expect(m.outputs.literalEnv()).toMatchObject({ Amqp__Port: '5671', Amqp__Scheme: 'AMQPS' });
    expect(parts(m).envFrom).toEqual([{ secretRef: { name: 'mq-user' } }]);
    expect(parts(m).volumes).toEqual([]);
  });

  it('ExternalSqs', () => {
    const m = new ExternalSqs(chart(), 'sqs', { serviceUrl: 'https://sqs.eu-west-3.amazonaws.com' });
    expect(m.outputs.literalEnv()).toMatchObject({ SQS__ServiceURL: 'https://sqs.eu-west-3.amazonaws.com', SQS__Prefix: 'armonik' });
    expect(() => new ExternalSqs(chart(), 'bad', { serviceUrl: 'sqs' })).toThrow(/ExternalSqs test\/bad: serviceUrl: "sqs" is not an http\(s\) URL/);
  });

  it('TerraformModule.fromFile names a missing file', () => {
    expect(() => TerraformModule.fromFile(chart(), 'x', '/nonexistent.json')).toThrow(/TerraformModule test\/x: path: cannot read \/nonexistent.json/);
  });
});

describe('in-cluster modules deploy a restricted StatefulSet and Services', () => {
  // Readiness: the port clients use accepts connections (MinIO: its own readiness endpoint);
  // liveness, where the server has a second signal, that one (a management port, MinIO's
  // liveness endpoint), so the two probes never check the same thing. uid: above 10000 where
  // the image runs as any user; 999 where the image's files belong to it (see each construct).
  it.each([
    ['ActiveMq', (c: Chart) => new ActiveMq(c, 'm'), 'activemq', { tcpSocket: { port: 5672 } }, { tcpSocket: { port: 8161 } }, 10001],
    ['RabbitMq', (c: Chart) => new RabbitMq(c, 'm'), 'rabbitmq', { tcpSocket: { port: 5671 } }, { tcpSocket: { port: 15672 } }, 999],
    ['Redis', (c: Chart) => new Redis(c, 'm'), 'redis', { tcpSocket: { port: 6379 } }, undefined, 999],
    ['MinIo', (c: Chart) => new MinIo(c, 'm'), 'minio', { httpGet: { path: '/minio/health/ready', port: 9000 } }, { httpGet: { path: '/minio/health/live', port: 9000 } }, 10001],
  ] as const)('%s', (_kind, make, stsName, readiness, liveness, uid) => {
    const c = chart();
    make(c);
    const objects = Testing.synth(c);
    const sts = objects.find((o) => o.kind === 'StatefulSet');
    expect(sts.metadata).toMatchObject({ name: stsName, namespace: 'armonik' });
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services.map((s) => s.metadata.name).sort()).toEqual([stsName, `${stsName}-headless`]);
    for (const s of services) for (const p of s.spec.ports) expect(p.targetPort).toBe(p.port); // IntOrString kept
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const container = pod.containers[0];
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.readinessProbe).toMatchObject(readiness);
    if (liveness === undefined) expect(container.livenessProbe).toBeUndefined();
    else expect(container.livenessProbe).toMatchObject(liveness);
    expect(container.resources.limits).toMatchObject({ memory: '1Gi', 'ephemeral-storage': expect.any(String) });
    expect(container.resources.requests['ephemeral-storage']).toEqual(expect.any(String));
    for (const v of pod.volumes ?? []) if (v.emptyDir) expect(v.emptyDir.sizeLimit).toEqual(expect.any(String));
    // One replica: no PodDisruptionBudget (it would block every drain).
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('8Gi');
  });

  it('more than one replica gets a PodDisruptionBudget: one pod down at a time', () => {
    const c = chart();
    new Redis(c, 'm', { replicas: 3 });
    const objects = Testing.synth(c);
    const sts = objects.find((o) => o.kind === 'StatefulSet');
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget');
    expect(pdb.metadata).toMatchObject({ name: 'redis', namespace: 'armonik' });
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: sts.spec.selector.matchLabels } });
  });

  it('names, sizes and images are configurable and checked', () => {
    const c = chart();
    new Redis(c, 'r', { name: 'cache', image: 'redis:7.4', storageSize: '20Gi', storageClass: 'fast', replicas: 3 });
    const sts = Testing.synth(c).find((o) => o.kind === 'StatefulSet');
    expect(sts.spec).toMatchObject({ replicas: 3, serviceName: 'cache-headless' });
    expect(sts.spec.template.spec.containers[0].image).toBe('redis:7.4');
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '20Gi' } } });
    expect(() => new ActiveMq(chart(), 'a', { name: 'Bad_Name' })).toThrow('ActiveMq test/a: name: "Bad_Name" is not a valid Service name (DNS-1035 label');
    expect(() => new MongoDb(chart(), 'm', { databaseName: 'a.b' })).toThrow('MongoDb test/m: databaseName: "a.b" is not a MongoDB database name');
    expect(() => new NfsStorage(chart(), 'n', {})).toThrow('NfsStorage test/n: nfs: give exactly one of nfs (an existing export) or storageClass (a provisioner)');
  });

  it('NfsStorage on an NFS export: a PersistentVolume bound to the claim', () => {
    const c = chart();
    new NfsStorage(c, 'nfs', { nfs: { server: '10.0.0.5', path: '/exports' }, size: '50Gi' });
    const [pv, pvc] = Testing.synth(c);
    expect(pv).toMatchObject({ kind: 'PersistentVolume', metadata: { name: 'armonik-nfsvolume' }, spec: { capacity: { storage: '50Gi' }, nfs: { server: '10.0.0.5', path: '/exports' }, claimRef: { namespace: 'armonik', name: 'nfsvolume' } } });
    expect(pvc).toMatchObject({ kind: 'PersistentVolumeClaim', spec: { volumeName: 'armonik-nfsvolume', storageClassName: '', accessModes: ['ReadWriteMany'] } });
  });
});

function withoutVolumes(p: ReturnType<typeof parts>) {
  return { env: p.env, envFrom: p.envFrom, volumeMounts: p.volumeMounts };
}
