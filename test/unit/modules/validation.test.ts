/**
 * Issue #14: every prop of the module constructs is checked at synth time against what
 * Kubernetes accepts, where it enters; a wrong value, type or a missing props object is a
 * ValidationError naming the construct path and the prop, never a TypeError or a manifest the
 * API server refuses later.
 */
import { Chart, Testing } from 'cdk8s';
import {
  ActiveMq,
  AmazonMq,
  ExternalMongoDb,
  ExternalS3,
  ExternalSqs,
  MinIo,
  MongoDb,
  NfsStorage,
  RabbitMq,
  Redis,
} from '../../../constructs/modules/index.js';
import { ValidationError } from '../../../lib/k8s/validation.js';
import { refused } from '../../fixtures/validation.js';

const chart = () => new Chart(Testing.app(), 'test', { namespace: 'armonik' });

/** Runs `fn`, expects a ValidationError of `source` and `field`, returns its message. */

const any = (v: unknown) => v as any;

describe('names derived from the construct name', () => {
  it('a Service name is a DNS-1035 label: no leading digit, no dot, no upper case', () => {
    refused(() => new Redis(chart(), 'r', { name: '1cache' }), 'Redis test/r', 'name', /"1cache" is not a valid Service name \(DNS-1035 label/);
    refused(() => new ActiveMq(chart(), 'a', { name: 'my.broker' }), 'ActiveMq test/a', 'name', /"my\.broker" is not a valid Service name/);
    refused(() => new MinIo(chart(), 'm', { name: 'MinIO' }), 'MinIo test/m', 'name', /DNS-1035 label/);
    // A '.' in the release name: the operator's `<name>-db-ps-rs0` Service would be refused.
    refused(() => new MongoDb(chart(), 'm', { name: 'mongo.db' }), 'MongoDb test/m', 'name', /"mongo\.db" is not a valid Service name/);
  });

  it('the -headless suffix must still fit in 63 characters', () => {
    const name = `r${'e'.repeat(55)}`; // 56 characters: `<name>-headless` has 65
    expect(name.length).toBeLessThanOrEqual(63);
    const { message } = refused(() => new RabbitMq(chart(), 'r', { name }), 'RabbitMq test/r', 'name', /-headless/);
    expect(message).toMatch(/at most 63 characters/);
    expect(() => new RabbitMq(chart(), 'ok', { name: `r${'e'.repeat(51)}` })).not.toThrow(); // 52: the StatefulSet's limit
  });

  it("a StatefulSet name leaves room for its pods' controller-revision-hash label", () => {
    // The Percona operator names the StatefulSet `<name>-db-ps-rs0`: at most 52 characters.
    const ok = `m${'o'.repeat(41)}`; // 42 + 10 = 52
    expect(() => new MongoDb(chart(), 'ok', { name: ok })).not.toThrow();
    const { message } = refused(() => new MongoDb(chart(), 'm', { name: `${ok}o` }), 'MongoDb test/m', 'name', /controller-revision-hash/);
    expect(message).toMatch(/-db-ps-rs0/);
  });

  it('a long value is quoted truncated, with its length', () => {
    const { message } = refused(() => new Redis(chart(), 'r', { name: 'x'.repeat(100_000) }), 'Redis test/r', 'name');
    expect(message.length).toBeLessThan(400);
    expect(message).toMatch(/\(100000 characters\)/);
  });

  it('NfsStorage: the claim name makes the consumers\' volume name `nfs-<claimName>` (a DNS-1123 label)', () => {
    refused(() => new NfsStorage(chart(), 'n', { storageClass: 'nfs', claimName: 'shared.volume' }), 'NfsStorage test/n', 'claimName', /"nfs-shared\.volume"/);
    refused(() => new NfsStorage(chart(), 'n', { storageClass: 'nfs', claimName: 'Shared' }), 'NfsStorage test/n', 'claimName', /PersistentVolumeClaim name/);
  });
});

describe('quantities, storage classes, ports, replicas', () => {
  it('storage sizes are quantities above zero', () => {
    refused(() => new Redis(chart(), 'r', { storageSize: '0' }), 'Redis test/r', 'storageSize', /"0" must be greater than zero/);
    refused(() => new MongoDb(chart(), 'm', { storageSize: '10 GB' }), 'MongoDb test/m', 'storageSize', /is not a Kubernetes quantity/);
    refused(() => new NfsStorage(chart(), 'n', { storageClass: 'nfs', size: 'abc' }), 'NfsStorage test/n', 'size', /"abc" is not a Kubernetes quantity/);
    refused(() => new NfsStorage(chart(), 'n', { storageClass: 'nfs', size: any(10) }), 'NfsStorage test/n', 'size', /number 10 is not a Kubernetes quantity/);
  });

  it('cpu and memory: quantities, a memory limit above zero, no request above its limit', () => {
    refused(() => new ActiveMq(chart(), 'a', { resources: { cpuRequest: 'lots' } }), 'ActiveMq test/a', 'resources.cpuRequest', /"lots" is not a Kubernetes quantity/);
    refused(() => new Redis(chart(), 'r', { resources: { cpuRequest: '2' } }), 'Redis test/r', 'resources.cpuRequest', /above cpuLimit "1"/);
    refused(() => new MongoDb(chart(), 'm', { resources: { memoryLimit: '0' } }), 'MongoDb test/m', 'resources.memoryLimit', /greater than zero/);
    refused(() => new MongoDb(chart(), 'm', { resources: { memoryRequest: '4Gi' } }), 'MongoDb test/m', 'resources.memoryRequest', /above memoryLimit "2Gi"/);
    refused(() => new MinIo(chart(), 'm', { resources: any('1Gi') }), 'MinIo test/m', 'resources', /must be an object/);
    refused(() => new MinIo(chart(), 'm', { resources: any({ cpu: '1' }) }), 'MinIo test/m', 'resources.cpu', /unknown field/);
  });

  it('storage class names are DNS-1123 subdomains', () => {
    refused(() => new Redis(chart(), 'r', { storageClass: 'Fast_SSD' }), 'Redis test/r', 'storageClass', /"Fast_SSD" is not a valid StorageClass name/);
    refused(() => new MongoDb(chart(), 'm', { storageClass: 'Fast_SSD' }), 'MongoDb test/m', 'storageClass', /StorageClass/);
    refused(() => new NfsStorage(chart(), 'n', { storageClass: 'Fast_SSD' }), 'NfsStorage test/n', 'storageClass', /StorageClass/);
  });

  it('ports are TCP ports', () => {
    refused(() => new ExternalMongoDb(chart(), 'x', { host: 'h', credentialsSecret: 'u', port: 70000 }), 'ExternalMongoDb test/x', 'port', /70000 is not a TCP port/);
    refused(() => new AmazonMq(chart(), 'x', { host: 'h', credentialsSecret: 'u', port: any('5671') }), 'AmazonMq test/x', 'port', /string "5671" is not a TCP port/);
    refused(() => new AmazonMq(chart(), 'x', { host: 'h', credentialsSecret: 'u', port: 0 }), 'AmazonMq test/x', 'port');
  });

  it('replicas are integers of at least 0 (MongoDB: at least 1; RabbitMQ: at most 1)', () => {
    refused(() => new Redis(chart(), 'r', { replicas: -1 }), 'Redis test/r', 'replicas', /-1 is not a non-negative integer/);
    refused(() => new ActiveMq(chart(), 'a', { replicas: 1.5 }), 'ActiveMq test/a', 'replicas');
    refused(() => new MinIo(chart(), 'm', { replicas: any('2') }), 'MinIo test/m', 'replicas', /string "2"/);
    refused(() => new MongoDb(chart(), 'm', { replicas: 0 }), 'MongoDb test/m', 'replicas', /positive integer/);
    refused(() => new RabbitMq(chart(), 'r', { replicas: 2 }), 'RabbitMq test/r', 'replicas', /one node/);
    expect(() => new Redis(chart(), 'scaled-down', { replicas: 0 })).not.toThrow();
  });
});

describe('missing or wrong-typed props: a ValidationError naming the prop, never a TypeError', () => {
  it('constructs with required props refuse a missing props object', () => {
    refused(() => new NfsStorage(chart(), 'x', any(undefined)), 'NfsStorage test/x', 'props', /must be an object with nfs or storageClass, not undefined/);
    refused(() => new ExternalS3(chart(), 'x', any(undefined)), 'ExternalS3 test/x', 'props', /endpointUrl, bucketName/);
    refused(() => ExternalS3.aws(chart(), 'x', any(null)), 'ExternalS3 test/x', 'props', /not null/);
    refused(() => new ExternalMongoDb(chart(), 'x', any(null)), 'ExternalMongoDb test/x', 'props', /host, credentialsSecret/);
    refused(() => new ExternalSqs(chart(), 'x', any('https://sqs')), 'ExternalSqs test/x', 'props', /not string "https:\/\/sqs"/);
    refused(() => new AmazonMq(chart(), 'x', any([])), 'AmazonMq test/x', 'props', /not a list/);
  });

  it('constructs with optional props refuse null or a non-object', () => {
    refused(() => new ActiveMq(chart(), 'x', any(null)), 'ActiveMq test/x', 'props', /not null/);
    refused(() => new MongoDb(chart(), 'x', any('mongodb')), 'MongoDb test/x', 'props');
    refused(() => new Redis(chart(), 'x', any(new Map())), 'Redis test/x', 'props', /a Map/);
  });

  it('required props that are missing are named', () => {
    refused(() => new ExternalS3(chart(), 'x', any({ bucketName: 'b' })), 'ExternalS3 test/x', 'endpointUrl', /undefined is not an http\(s\) URL/);
    refused(() => new ExternalS3(chart(), 'x', any({ endpointUrl: 'https://s3' })), 'ExternalS3 test/x', 'bucketName', /undefined is not a valid S3 bucket name/);
    refused(() => new ExternalMongoDb(chart(), 'x', any({ host: 'h' })), 'ExternalMongoDb test/x', 'credentialsSecret', /undefined is not a valid Secret name/);
    refused(() => new AmazonMq(chart(), 'x', any({ credentialsSecret: 'c' })), 'AmazonMq test/x', 'host', /undefined is not a host name/);
    refused(() => new ExternalSqs(chart(), 'x', any({})), 'ExternalSqs test/x', 'serviceUrl');
    refused(() => ExternalS3.aws(chart(), 'x', any({ bucketName: 'b' })), 'ExternalS3 test/x', 'region', /undefined is not an AWS region/);
  });

  it('wrong types are named with what they are', () => {
    refused(() => new ActiveMq(chart(), 'a', any({ generateSecrets: 'yes' })), 'ActiveMq test/a', 'generateSecrets', /must be true or false, not string "yes"/);
    refused(() => new Redis(chart(), 'r', any({ maxMemory: 12000 })), 'Redis test/r', 'maxMemory', /number 12000 is not a Redis memory size/);
    refused(() => new Redis(chart(), 'r', any({ clientName: 42 })), 'Redis test/r', 'clientName', /non-empty string, not number 42/);
    refused(() => new MinIo(chart(), 'm', any({ bucketName: 5 })), 'MinIo test/m', 'bucketName', /number 5 is not a valid S3 bucket name/);
    refused(() => new RabbitMq(chart(), 'r', any({ mountPath: 5 })), 'RabbitMq test/r', 'mountPath', /must be an absolute path/);
    refused(() => new ActiveMq(chart(), 'a', { credentialsSecret: 'Amqp_User' }), 'ActiveMq test/a', 'credentialsSecret', /"Amqp_User" is not a valid Secret name/);
    refused(() => new ActiveMq(chart(), 'a', any({ configMap: 42 })), 'ActiveMq test/a', 'configMap', /number 42 is not a valid ConfigMap name/);
    // Two of a module's own Secrets under one name: the second is refused, naming both.
    refused(() => new Redis(chart(), 'r', { caSecret: 'redis-user-credentials' }), 'test/r/client', 'name', /Secret "armonik\/redis-user-credentials" would be synthesized twice/);
    refused(() => new Redis(chart(), 'r', any({ image: 7 })), 'Redis test/r', 'image', /number 7 is not an image reference/);
    refused(() => new MongoDb(chart(), 'm', any({ databaseName: ['db'] })), 'MongoDb test/m', 'databaseName', /a list is not a MongoDB database name/);
    refused(() => new NfsStorage(chart(), 'n', any({ nfs: '10.0.0.5:/exports' })), 'NfsStorage test/n', 'nfs', /an object with server and path/);
    refused(() => new NfsStorage(chart(), 'n', any({ nfs: { server: '10.0.0.5' } })), 'NfsStorage test/n', 'nfs.path', /absolute path/);
    refused(() => new NfsStorage(chart(), 'n', { nfs: { server: '10.0.0.5', path: '/e' }, storageClass: 'nfs' }), 'NfsStorage test/n', 'storageClass', /both are given/);
    refused(() => new ExternalMongoDb(chart(), 'x', any({ host: 'h', credentialsSecret: 'u', sharding: 'true' })), 'ExternalMongoDb test/x', 'sharding', /true or false/);
    refused(() => new ExternalMongoDb(chart(), 'x', any({ host: 'h', credentialsSecret: 'u', connectionString: 'mongodb://h' })), 'ExternalMongoDb test/x', 'connectionString', /an object \{ secret, key\? \}/);
    refused(() => new ExternalMongoDb(chart(), 'x', { host: 'h', credentialsSecret: 'u', connectionString: { secret: 's', key: '..data' } }), 'ExternalMongoDb test/x', 'connectionString.key', /must not be '\.' or start with '\.\.'/);
    refused(() => new ExternalS3(chart(), 'x', any({ endpointUrl: 'https://s3', bucketName: 'b-1', useChecksum: 1 })), 'ExternalS3 test/x', 'useChecksum', /true or false/);
    refused(() => new ExternalSqs(chart(), 'x', any({ serviceUrl: 'https://sqs', prefix: 3 })), 'ExternalSqs test/x', 'prefix', /number 3 is not a valid SQS queue name prefix/);
    refused(() => new AmazonMq(chart(), 'x', any({ host: 'h', credentialsSecret: 'c', queueStorageAdapter: {} })), 'AmazonMq test/x', 'queueStorageAdapter', /an object/);
  });
});

describe('URLs carry no credentials', () => {
  it('ExternalS3 endpointUrl: the credentials belong in a Secret (credentialsSecret), and are not repeated', () => {
    const { message } = refused(
      () => new ExternalS3(chart(), 'x', { endpointUrl: 'https://user:s3cr3t@minio.example:9000', bucketName: 'b-1' }),
      'ExternalS3 test/x',
      'endpointUrl',
      /credentialsSecret/,
    );
    expect(message).not.toContain('s3cr3t');
    expect(message).toContain('https://***@minio.example:9000');
  });

  it('ExternalSqs serviceUrl likewise', () => {
    const { message } = refused(() => new ExternalSqs(chart(), 'x', { serviceUrl: 'https://AKIA:key@sqs.eu-west-3.amazonaws.com' }), 'ExternalSqs test/x', 'serviceUrl', /credentials/);
    expect(message).not.toContain('AKIA');
  });
});

describe('two modules synthesizing the same object are refused at construct time', () => {
  it('two Redis named alike in one namespace name both construct paths', () => {
    const c = chart();
    new Redis(c, 'a', { name: 'cache', generateSecrets: false });
    const { message } = refused(() => new Redis(c, 'b', { name: 'cache', generateSecrets: false }), 'Redis test/b', 'name', /would be synthesized twice/);
    expect(message).toMatch(/by test\/b\/\S+ and by test\/a\//);
  });

  it('with generated Secrets, the first Secret that clashes is named, with both module paths', () => {
    const c = chart();
    new Redis(c, 'a', { name: 'cache' });
    refused(() => new Redis(c, 'b', { name: 'cache' }), 'test/b/ca', 'name', /Secret "armonik\/cache-ca" would be synthesized twice: by test\/b\/ca\/\S+ and by test\/a\/ca\//);
  });

  it('across charts of one app, and between different kinds of modules', () => {
    const app = Testing.app();
    new ActiveMq(new Chart(app, 'one', { namespace: 'armonik' }), 'queue', { name: 'queue', generateSecrets: false });
    refused(
      () => new RabbitMq(new Chart(app, 'two', { namespace: 'armonik' }), 'queue', { name: 'queue', generateSecrets: false }),
      'RabbitMq two/queue',
      'name',
      /Service "armonik\/queue" would be synthesized twice/,
    );
  });

  it('two NfsStorage claims of one name in one namespace', () => {
    const c = chart();
    new NfsStorage(c, 'a', { storageClass: 'nfs' });
    refused(() => new NfsStorage(c, 'b', { storageClass: 'nfs' }), 'NfsStorage test/b', 'name', /PersistentVolumeClaim "armonik\/nfsvolume" would be synthesized twice/);
  });

  it('the same names in two namespaces are fine', () => {
    const app = Testing.app();
    new Redis(new Chart(app, 'one', { namespace: 'a' }), 'redis');
    expect(() => new Redis(new Chart(app, 'two', { namespace: 'b' }), 'redis')).not.toThrow();
  });
});

describe('nothing valid is refused', () => {
  it('the longest accepted names, in the longest namespace, synthesize (certificates included)', () => {
    const c = new Chart(Testing.app(), 'test', { namespace: `n${'s'.repeat(62)}` });
    const longest = (max: number) => `m${'x'.repeat(max - 1)}`;
    new ActiveMq(c, 'activemq', { name: longest(52) });
    new RabbitMq(c, 'rabbitmq', { name: longest(51) });
    new Redis(c, 'redis', { name: longest(50) });
    new MinIo(c, 'minio', { name: longest(49) });
    new MongoDb(c, 'mongodb', { name: longest(42) });
    new NfsStorage(c, 'nfs', { nfs: { server: 'nfs', path: '/e' }, claimName: longest(59) });
    expect(Testing.synth(c).length).toBeGreaterThan(20);
  });

  it('every module with its defaults and with every prop given', () => {
    const c = chart();
    new ActiveMq(c, 'activemq', { generateSecrets: false, mountPath: '/amqp/', queueStorageAdapter: 'X', storageSize: '1.5Gi', storageClass: 'fast.ssd' });
    new RabbitMq(c, 'rabbitmq', { replicas: 0 });
    new Redis(c, 'redis', { maxMemory: '1gb', clientName: 'c', instanceName: 'i', resources: { cpuRequest: '1', cpuLimit: '1', memoryRequest: '1Gi', memoryLimit: '1Gi' } });
    new MinIo(c, 'minio', { bucketName: 'my.bucket-1' });
    new MongoDb(c, 'mongodb', { databaseName: 'db', replicas: 3, storageSize: '100Gi' });
    new NfsStorage(c, 'nfs', { nfs: { server: 'nfs.example', path: '/exports' }, size: '1Ti' });
    new ExternalS3(c, 's3', { endpointUrl: 'https://s3.example/path?x=1', bucketName: 'bucket' });
    ExternalS3.aws(c, 'aws', { region: 'eu-west-3', bucketName: 'bucket', credentialsSecret: 's3-user' });
    new ExternalMongoDb(c, 'atlas', { host: 'h', credentialsSecret: 'u', authSource: '$external', port: 27018 });
    new ExternalSqs(c, 'sqs', { serviceUrl: 'http://localstack:4566', prefix: 'ak_1' });
    new AmazonMq(c, 'mq', { host: '10.0.0.1', credentialsSecret: 'mq', port: 5671 });
    expect(Testing.synth(c).length).toBeGreaterThan(20);
  });
});

describe('no prop value makes a TypeError', () => {
  const WEIRD: unknown[] = [null, 0, -1, NaN, 70000, '', 'x', '..', 'A b', [], {}, [1], { a: 1 }, true, () => 1, new Map()];
  const modules: Array<[string, (c: Chart, props: any) => unknown, Record<string, unknown>]> = [
    ['ActiveMq', (c, p) => new ActiveMq(c, 'm', p), {}],
    ['RabbitMq', (c, p) => new RabbitMq(c, 'm', p), {}],
    ['Redis', (c, p) => new Redis(c, 'm', p), {}],
    ['MinIo', (c, p) => new MinIo(c, 'm', p), {}],
    ['MongoDb', (c, p) => new MongoDb(c, 'm', p), {}],
    ['NfsStorage', (c, p) => new NfsStorage(c, 'm', p), { storageClass: 'nfs' }],
    ['ExternalS3', (c, p) => new ExternalS3(c, 'm', p), { endpointUrl: 'https://s3', bucketName: 'bucket' }],
    ['ExternalS3.aws', (c, p) => ExternalS3.aws(c, 'm', p), { region: 'eu-west-3', bucketName: 'bucket' }],
    ['ExternalMongoDb', (c, p) => new ExternalMongoDb(c, 'm', p), { host: 'h', credentialsSecret: 'u' }],
    ['ExternalSqs', (c, p) => new ExternalSqs(c, 'm', p), { serviceUrl: 'https://sqs' }],
    ['AmazonMq', (c, p) => new AmazonMq(c, 'm', p), { host: 'h', credentialsSecret: 'u' }],
  ];
  const PROPS = [
    'namespace', 'name', 'image', 'resources', 'storageSize', 'storageClass', 'replicas', 'credentialsSecret', 'caSecret', 'serverSecret',
    'configMap', 'mountPath', 'queueStorageAdapter', 'generateSecrets', 'clientName', 'instanceName', 'maxMemory', 'bucketName', 'databaseName',
    'claimName', 'size', 'nfs', 'endpointUrl', 'region', 'mustForcePathStyle', 'useChunkEncoding', 'useChecksum', 'host', 'port', 'authSource',
    'replicaSet', 'directConnection', 'connectionString', 'sharding', 'serviceUrl', 'prefix',
  ];

  it.each(modules)('%s: every prop, every odd value: it works or it is a ValidationError naming the construct', (kind, make, base) => {
    for (const prop of PROPS) {
      for (const value of WEIRD) {
        try {
          make(chart(), { ...base, [prop]: value });
        } catch (e) {
          if (!(e instanceof ValidationError)) throw new Error(`${kind} ${prop}=${String(value)}: ${(e as Error).name}: ${(e as Error).message}`);
          expect((e as ValidationError).source).toMatch(/test\/m/);
        }
      }
    }
  });
});
