/**
 * What ArmoniK's authorization knows: the permissions Core checks and the roles ArmoniK.Infra
 * creates.
 */

/**
 * Every permission ArmoniK.Core 0.37.2 checks: `<service>:<method>` for each `[RequiresPermission]`
 * of its gRPC services (`Common/src/Auth/Authorization/Permissions/ServicesPermissions.cs` names
 * the services; the attributes are on `Common/src/gRPC/Services/*.cs` and `GeneralService.cs`).
 * A role may also scope one with a third part (`Permission.cs`: `<service>:<method>:<target>`).
 */
export const CORE_PERMISSIONS: readonly string[] = [
  'Applications:ListApplications',
  'Events:GetEvents',
  'General:Impersonate',
  'HealthChecks:CheckHealth',
  'Partitions:GetPartition', 'Partitions:ListPartitions',
  'Results:CreateResults', 'Results:CreateResultsMetaData', 'Results:DeleteResultsData', 'Results:DownloadResultData', 'Results:GetOwnerTaskId',
  'Results:GetResult', 'Results:GetServiceConfiguration', 'Results:ImportResultsData', 'Results:ListResults', 'Results:UploadResultData',
  'Sessions:CancelSession', 'Sessions:CloseSession', 'Sessions:CreateSession', 'Sessions:DeleteSession', 'Sessions:GetSession',
  'Sessions:ListSessions', 'Sessions:PauseSession', 'Sessions:PurgeSession', 'Sessions:ResumeSession', 'Sessions:StopSubmission',
  'Submitter:CancelSession', 'Submitter:CancelTasks', 'Submitter:CountTasks', 'Submitter:CreateLargeTasks', 'Submitter:CreateSession',
  'Submitter:CreateSmallTasks', 'Submitter:GetResultStatus', 'Submitter:GetServiceConfiguration', 'Submitter:GetTaskStatus',
  'Submitter:ListSessions', 'Submitter:ListTasks', 'Submitter:TryGetResultStream', 'Submitter:TryGetTaskOutput',
  'Submitter:WaitForAvailability', 'Submitter:WaitForCompletion',
  'Tasks:CancelTasks', 'Tasks:CountTasksByStatus', 'Tasks:GetResultIds', 'Tasks:GetTask', 'Tasks:ListTasks', 'Tasks:ListTasksDetailed', 'Tasks:SubmitTasks',
  'Versions:ListVersions',
];

const MONITORING: readonly string[] = [
  'Submitter:GetServiceConfiguration', 'Submitter:CountTasks', 'Submitter:GetTaskStatus', 'Submitter:GetResultStatus', 'Submitter:ListTasks',
  'Submitter:ListSessions', 'Sessions:GetSession', 'Sessions:ListSessions', 'Tasks:GetTask', 'Tasks:ListTasks', 'Tasks:GetResultIds',
  'Tasks:CountTasksByStatus', 'Tasks:ListTasksDetailed', 'Results:GetOwnerTaskId', 'Results:ListResults', 'Results:GetServiceConfiguration',
  'Results:GetResult', 'Applications:ListApplications', 'Events:GetEvents', 'Partitions:GetPartition', 'Partitions:ListPartitions',
  'Versions:ListVersions', 'HealthChecks:CheckHealth',
];

/**
 * The roles ArmoniK.Infra 0.15.1 always creates (`armonik/authentication-roles-default.tf`,
 * `default_roles_permissions_map`): `Submitter` may do everything a client does (every permission
 * of Core 0.37.2, `General:Impersonate` included), `Monitoring` only reads (what the admin GUI needs).
 */
export const BUILT_IN_ROLES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Submitter: CORE_PERMISSIONS,
  Monitoring: MONITORING,
});
