/** ArmoniK Core adapter classes and paths, as ArmoniK.Infra's modules publish them. */
export const ARMONIK_ADAPTERS = {
  amqp: {
    className: 'ArmoniK.Core.Adapters.Amqp.QueueBuilder',
    path: '/adapters/queue/amqp/ArmoniK.Core.Adapters.Amqp.dll',
    /** ArmoniK.Infra's default `queue_storage_adapter` of the ActiveMQ module (spelled as it ships). */
    queueStorage: 'ArmoniK.Adapters.Amqp.ObjectStorage',
  },
  rabbitmq: {
    className: 'ArmoniK.Core.Adapters.RabbitMQ.QueueBuilder',
    path: '/adapters/queue/rabbit/ArmoniK.Core.Adapters.RabbitMQ.dll',
  },
  sqs: {
    className: 'ArmoniK.Core.Adapters.SQS.QueueBuilder',
    path: '/adapters/queue/sqs/ArmoniK.Core.Adapters.SQS.dll',
  },
  redis: {
    objectStorage: 'ArmoniK.Adapters.Redis.ObjectStorage',
    className: 'ArmoniK.Core.Adapters.Redis.ObjectBuilder',
    path: '/adapters/object/redis/ArmoniK.Core.Adapters.Redis.dll',
  },
  s3: {
    objectStorage: 'ArmoniK.Adapters.S3.ObjectStorage',
  },
  localStorage: {
    objectStorage: 'ArmoniK.Adapters.LocalStorage.ObjectStorage',
    className: 'ArmoniK.Core.Adapters.LocalStorage.ObjectBuilder',
    path: '/adapters/object/local_storage/ArmoniK.Core.Adapters.LocalStorage.dll',
  },
  mongodb: {
    tableStorage: 'ArmoniK.Adapters.MongoDB.TableStorage',
  },
} as const;

/** The env that selects a queue adaptor: every queue module publishes these two keys. */
export function queueAdaptorEnv(adapter: { readonly className: string; readonly path: string }): Record<string, string> {
  return {
    Components__QueueAdaptorSettings__ClassName: adapter.className,
    Components__QueueAdaptorSettings__AdapterAbsolutePath: adapter.path,
  };
}
