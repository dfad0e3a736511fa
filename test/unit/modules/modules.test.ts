/**
 * Every infrastructure module construct publishes what the ArmoniK.Infra module of the same name
 * publishes: same env names and values' form, Secret names, mount paths and modes. For the three
 * modules with real `terraform output -json` fixtures, the construct and the fixture (through
 * `ModuleOutputs.fromTerraformOutput`) render the very same pod parts.
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
import { terraformFixture } from '../../fixtures/modules.js';

const chart = () => new Chart(Testing.app(), 'test', { namespace: 'armonik' });
const parts = (m: IModule | ModuleOutputs) => (m instanceof ModuleOutputs ? m : m.outputs).toPodSpecParts();

describe('modules with a real ArmoniK.Infra fixture render the same pod parts as the fixture', () => {
  it.each([
    ['activemq', (c: Chart) => new ActiveMq(c, 'activemq')],
    ['mongodb', (c: Chart) => new MongoDb(c, 'mongodb')],
    ['nfs', (c: Chart) => new NfsStorage(c, 'nfs', { storageClass: 'nfs' })],
  ] as const)('%s', (name, make) => {
    const fromFixture = ModuleOutputs.fromTerraformOutput(name, terraformFixture(name));
    const construct = make(chart());
    expect(parts(construct)).toEqual(parts(fromFixture));
    expect(construct.outputs.literalEnv()).toEqual(fromFixture.literalEnv());
    // Also through the TerraformModule construct.
    expect(parts(new TerraformModule(chart(), name, terraformFixture(name)))).toEqual(parts(fromFixture));
  });

  it('activemq: the facts of the fixture', () => {
    const p = parts(new ActiveMq(chart(), 'activemq'));
    expect(p.env).toContainEqual({ name: 'Amqp__Port', value: '5672' });
    expect(p.env).toContainEqual({ name: 'Components__QueueStorage', value: 'ArmoniK.Adapters.Amqp.ObjectStorage' });
    expect(p.envFrom).toEqual([{ secretRef: { name: 'activemq-user-credentials' } }]);
    expect(p.volumes).toEqual([{ name: 'certificate', secret: { secretName: 'activemq', defaultMode: 0o644 } }]);
    expect(p.volumeMounts).toEqual([{ name: 'certificate', mountPath: '/amqp', readOnly: true }]);
  });

  it('mongodb: user and password by env_from_secret, MongoDB_ConnectionString kept as spelled', () => {
    const p = parts(new MongoDb(chart(), 'mongodb'));
    expect(p.env).toContainEqual({ name: 'MongoDB__User', valueFrom: { secretKeyRef: { name: 'mongodb-user', key: 'username' } } });
    expect(p.env).toContainEqual({ name: 'MongoDB_ConnectionString', valueFrom: { secretKeyRef: { name: 'mongodb-connection-string', key: 'uri' } } });
    expect(p.volumeMounts.map((m) => m.mountPath)).toEqual(['/mongodb/certificate', '/mongodb/certs']) // normalized;
  });

  it('nfs: a writable claim mount', () => {
    const p = parts(new NfsStorage(chart(), 'nfs', { nfs: { server: '10.0.0.5', path: '/exports' } }));
    expect(p.volumes).toEqual([{ name: 'nfs-nfsvolume', persistentVolumeClaim: { claimName: 'nfsvolume' } }]);
    expect(p.volumeMounts).toEqual([{ name: 'nfs-nfsvolume', mountPath: '/local_storage' }]);
  });
});

/**
 * Modules without a fixture file: the outputs ArmoniK.Infra's `outputs.tf` evaluate to with
 * namespace `armonik` and default inputs (snake_case, as `module.x` holds them), where they fit
 * the contract. Where they do not (RabbitMQ's and MinIO's `env_from_secret` are maps of Secret
 * names), the construct's documented `env_secret` is expected.
 */
const INFRA = {
  rabbitmq: {
    env: {
      Components__QueueAdaptorSettings__ClassName: 'ArmoniK.Core.Adapters.RabbitMQ.QueueBuilder',
      Components__QueueAdaptorSettings__AdapterAbsolutePath: '/adapters/queue/rabbit/ArmoniK.Core.Adapters.RabbitMQ.dll',
      Amqp__Host: 'rabbitmq.armonik.svc.cluster.local',
      Amqp__Port: 5672,
      Amqp__Scheme: 'AMQPS',
      Amqp__CaPath: '/amqp/chain.pem',
    },
    env_secret: ['rabbitmq-user-credentials'],
    mount_secret: { certificate: { secret: 'rabbitmq', path: '/amqp', mode: '0600' } },
  },
  redis: {
    env: {
      Components__ObjectStorage: 'ArmoniK.Adapters.Redis.ObjectStorage',
      Components__ObjectStorageAdaptorSettings__ClassName: 'ArmoniK.Core.Adapters.Redis.ObjectBuilder',
      Components__ObjectStorageAdaptorSettings__AdapterAbsolutePath: '/adapters/object/redis/ArmoniK.Core.Adapters.Redis.dll',
      Redis__EndpointUrl: 'redis.armonik.svc.cluster.local:6379',
      Redis__Ssl: 'true',
      Redis__ClientName: 'ArmoniK.Core',
      Redis__CaPath: '/redis/chain.pem',
      Redis__InstanceName: 'ArmoniKRedis',
    },
    env_secret: ['redis-user-credentials'],
    mount_secret: { 'redis-secret1': { secret: 'redis', path: '/redis', mode: '0644' } },
  },
  minio: {
    env: {
      Components__ObjectStorage: 'ArmoniK.Adapters.S3.ObjectStorage',
      S3__BucketName: 'minioarmonikbucket',
      S3__UseChecksum: true,
      S3__MustForcePathStyle: true,
      S3__UseChunkEncoding: true,
      S3__EndpointUrl: 'http://minio.armonik.svc.cluster.local:9000',
    },
    env_secret: ['minio-user-credentials'],
  },
};

describe('modules without a fixture file match the outputs of ArmoniK.Infra', () => {
  it.each([
    ['rabbitmq', (c: Chart) => new RabbitMq(c, 'rabbitmq')],
    ['redis', (c: Chart) => new Redis(c, 'redis')],
    ['minio', (c: Chart) => new MinIo(c, 'minio')],
  ] as const)('%s', (name, make) => {
    const expected = ModuleOutputs.fromObject(name, INFRA[name]);
    expect(parts(make(chart()))).toEqual(parts(expected));
    // The same outputs as `terraform output -json` would print them.
    const json = JSON.stringify(Object.fromEntries(Object.entries(INFRA[name]).map(([k, value]) => [k, { sensitive: false, type: 'dynamic', value }])));
    expect(parts(make(chart()))).toEqual(parts(ModuleOutputs.fromTerraformOutput(name, json)));
  });

  it('minio: booleans become "true"', () => {
    expect(new MinIo(chart(), 'minio').outputs.literalEnv()).toMatchObject({ S3__UseChecksum: 'true', S3__MustForcePathStyle: 'true' });
  });
});

describe('external modules: props in, contract out, nothing deployed', () => {
  it('ExternalMongoDb', () => {
    const c = chart();
    const m = new ExternalMongoDb(c, 'atlas', { host: 'cluster0.abcde.mongodb.net', credentialsSecret: 'atlas-user', caSecret: 'atlas-ca', replicaSet: 'atlas-rs' });
    expect(Testing.synth(c)).toEqual([]);
    expect(m.outputs.literalEnv()).toMatchObject({ MongoDB__Host: 'cluster0.abcde.mongodb.net', MongoDB__Port: '27017', MongoDB__Tls: 'true', MongoDB__CAFile: '/mongodb/certificate/mongodb-ca-cert' });
    expect(parts(m).volumeMounts).toEqual([{ name: 'mongo-certificate', mountPath: '/mongodb/certificate', readOnly: true }]);
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
    expect(() => TerraformModule.fromFile(chart(), 'x', '/nonexistent.json')).toThrow(/TerraformModule test\/x: cannot read \/nonexistent.json/);
  });
});

describe('in-cluster modules deploy a restricted StatefulSet and Services', () => {
  it.each([
    ['ActiveMq', (c: Chart) => new ActiveMq(c, 'm'), 'activemq'],
    ['RabbitMq', (c: Chart) => new RabbitMq(c, 'm'), 'rabbitmq'],
    ['Redis', (c: Chart) => new Redis(c, 'm'), 'redis'],
    ['MinIo', (c: Chart) => new MinIo(c, 'm'), 'minio'],
    ['MongoDb', (c: Chart) => new MongoDb(c, 'm'), 'mongodb-armonik'],
  ] as const)('%s', (_kind, make, stsName) => {
    const c = chart();
    make(c);
    const objects = Testing.synth(c);
    const sts = objects.find((o) => o.kind === 'StatefulSet');
    expect(sts.metadata).toMatchObject({ name: stsName, namespace: 'armonik' });
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services.map((s) => s.metadata.name).sort()).toEqual([stsName, `${stsName}-headless`]);
    for (const s of services) for (const p of s.spec.ports) expect(p.targetPort).toBe(p.port); // IntOrString kept
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod.containers[0];
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(typeof container.readinessProbe.tcpSocket.port).toBe('number');
    expect(container.resources.limits.memory).toBe('1Gi');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('8Gi');
    // Secrets are referenced, never inlined.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('names, sizes and images are configurable and checked', () => {
    const c = chart();
    new Redis(c, 'r', { name: 'cache', image: 'redis:7.4', storageSize: '20Gi', storageClass: 'fast', replicas: 3 });
    const sts = Testing.synth(c).find((o) => o.kind === 'StatefulSet');
    expect(sts.spec).toMatchObject({ replicas: 3, serviceName: 'cache-headless' });
    expect(sts.spec.template.spec.containers[0].image).toBe('redis:7.4');
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '20Gi' } } });
    expect(() => new ActiveMq(chart(), 'a', { name: 'Bad_Name' })).toThrow('ActiveMq test/a: name: "Bad_Name" is not a DNS-1123 label');
    expect(() => new MongoDb(chart(), 'm', { userSecret: 'no way' })).toThrow('MongoDb test/m: userSecret: "no way" is not a valid Kubernetes object name');
    expect(() => new NfsStorage(chart(), 'n', {})).toThrow('NfsStorage test/n: give exactly one of nfs (an existing export) or storageClass (a provisioner)');
  });

  it('ActiveMq: TLS material from a Secret at /credentials, configuration from a ConfigMap at /opt/activemq/conf, as ArmoniK.Infra', () => {
    const c = chart();
    new ActiveMq(c, 'activemq');
    const pod = Testing.synth(c).find((o) => o.kind === 'StatefulSet').spec.template.spec;
    expect(pod.volumes).toEqual(expect.arrayContaining([
      { name: 'server', secret: { secretName: 'activemq-server-certificates', defaultMode: 0o400 } },
      { name: 'configuration', configMap: { name: 'activemq-configs' } },
    ]));
    expect(pod.containers[0].volumeMounts).toEqual(expect.arrayContaining([
      { name: 'server', mountPath: '/credentials', readOnly: true },
      { name: 'configuration', mountPath: '/opt/activemq/conf', readOnly: true },
      { name: 'data', mountPath: '/opt/activemq/data' },
    ]));
  });

  it('NfsStorage on an NFS export: a PersistentVolume bound to the claim', () => {
    const c = chart();
    new NfsStorage(c, 'nfs', { nfs: { server: '10.0.0.5', path: '/exports' }, size: '50Gi' });
    const [pv, pvc] = Testing.synth(c);
    expect(pv).toMatchObject({ kind: 'PersistentVolume', metadata: { name: 'armonik-nfsvolume' }, spec: { capacity: { storage: '50Gi' }, nfs: { server: '10.0.0.5', path: '/exports' }, claimRef: { namespace: 'armonik', name: 'nfsvolume' } } });
    expect(pvc).toMatchObject({ kind: 'PersistentVolumeClaim', spec: { volumeName: 'armonik-nfsvolume', storageClassName: '', accessModes: ['ReadWriteMany'] } });
  });
});
