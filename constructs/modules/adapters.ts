/**
 * ArmoniK Core adapter classes and the paths of their assemblies in the Core images, as ArmoniK.Infra's
 * storage modules publish them (`storage/<module>/variables.tf`, `adapter_class_name` / `adapter_absolute_path`)
 * and as ArmoniK.Core 0.37.2 ships them (`Dockerfile`: `/adapters/queue/<name>`, `/adapters/object/<name>`).
 * Core loads both adaptors from `Components__{Queue,ObjectStorage}AdaptorSettings__{ClassName,AdapterAbsolutePath}`
 * and fails to start without them (`Common/src/Injection/ServiceCollectionExt.cs`, `AddAdapter`; the
 * object storage setting exists since Core 0.30.0). `Components__QueueStorage` and
 * `Components__ObjectStorage` are no longer read by Core; the modules still publish them, as Infra's do.
 */
export const ARMONIK_ADAPTERS = {
  /** AMQP 1.0: ActiveMQ, and RabbitMQ 4 (Core removed its AMQP 0.9.1 RabbitMQ adaptor in 0.36.0). */
  amqp: {
    className: 'ArmoniK.Core.Adapters.Amqp.QueueBuilder',
    path: '/adapters/queue/amqp/ArmoniK.Core.Adapters.Amqp.dll',
    /** ArmoniK.Infra's default `queue_storage_adapter` of the ActiveMQ and RabbitMQ modules (spelled as it ships). */
    queueStorage: 'ArmoniK.Adapters.Amqp.ObjectStorage',
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
    className: 'ArmoniK.Core.Adapters.S3.ObjectBuilder',
    path: '/adapters/object/s3/ArmoniK.Core.Adapters.S3.dll',
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

/** The env that selects an object storage adaptor: every object storage module publishes these three keys. */
export function objectAdaptorEnv(adapter: { readonly objectStorage: string; readonly className: string; readonly path: string }): Record<string, string> {
  return {
    Components__ObjectStorage: adapter.objectStorage,
    Components__ObjectStorageAdaptorSettings__ClassName: adapter.className,
    Components__ObjectStorageAdaptorSettings__AdapterAbsolutePath: adapter.path,
  };
}
