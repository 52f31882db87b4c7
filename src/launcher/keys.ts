/**
 * The properties the KCL 3.x MultiLangDaemon understands (read from
 * `MultiLangDaemonConfig` and `MultiLangDaemonConfiguration` of
 * amazon-kinesis-client-multilang 3.1.3). The daemon silently ignores any
 * other key, so the launcher rejects unknown ones.
 *
 * @module
 */

/** How a value is checked. */
export type KeyType =
  | "string"
  | "int"
  | "long"
  | "double"
  | "boolean"
  | "url"
  | "list"
  | "credentials"
  | readonly string[];

/** The daemon's keys and the type of their values. */
export const DAEMON_KEYS: Readonly<Record<string, KeyType>> = {
  // The daemon itself
  executableName: "string",
  processingLanguage: "string",
  maxActiveThreads: "int",
  timeoutInSeconds: "int",
  shutdownGraceMillis: "long",
  // Identity, stream, AWS clients
  applicationName: "string",
  streamName: "string",
  streamArn: "string",
  tableName: "string",
  workerId: "string",
  workerIdentifier: "string",
  regionName: "string",
  kinesisEndpoint: "url",
  dynamoDBEndpoint: "url",
  AwsCredentialsProvider: "credentials",
  AwsCredentialsProviderDynamoDB: "credentials",
  AwsCredentialsProviderCloudWatch: "credentials",
  // Where to start
  initialPositionInStream: ["TRIM_HORIZON", "LATEST"],
  initialPositionInStreamExtended: "long",
  // Leases
  failoverTimeMillis: "long",
  leaseAssignmentIntervalMillis: "long",
  enablePriorityLeaseAssignment: "boolean",
  leaseTableDeletionProtectionEnabled: "boolean",
  leaseTablePitrEnabled: "boolean",
  shardSyncIntervalMillis: "long",
  cleanupLeasesUponShardCompletion: "boolean",
  ignoreUnexpectedChildShards: "boolean",
  maxLeasesForWorker: "int",
  maxLeasesToStealAtOneTime: "int",
  initialLeaseTableReadCapacity: "int",
  initialLeaseTableWriteCapacity: "int",
  maxLeaseRenewalThreads: "int",
  listShardsBackoffTimeInMillis: "long",
  maxListShardsRetryAttempts: "int",
  // Processing and scheduling
  callProcessRecordsEvenForEmptyRecordList: "boolean",
  parentShardPollIntervalMillis: "long",
  shardPrioritization: "string",
  skipShardSyncAtWorkerInitializationIfLeasesExist: "boolean",
  schedulerInitializationBackoffTimeMillis: "long",
  clientVersionConfig: ["CLIENT_VERSION_CONFIG_3X", "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X"],
  taskBackoffTimeMillis: "long",
  logWarningForTaskAfterMillis: "long",
  validateSequenceNumberBeforeCheckpointing: "boolean",
  // Metrics
  metricsBufferTimeMillis: "long",
  metricsMaxQueueSize: "int",
  metricsLevel: ["NONE", "SUMMARY", "DETAILED"],
  metricsEnabledDimensions: "list",
  // Retrieval
  retrievalMode: ["FANOUT", "POLLING", "DEFAULT"],
  maxRecords: "int",
  idleTimeBetweenReadsInMillis: "long",
  millisBehindLatestThresholdForReducedTps: "long",
  retryGetRecordsInSeconds: "int",
  maxGetRecordsThreadPool: "int",
  // Graceful lease hand-off (KCL 3.x)
  gracefulLeaseHandoffTimeoutMillis: "long",
  isGracefulLeaseHandoffEnabled: "boolean",
  // Worker utilization-aware assignment (KCL 3.x)
  inMemoryWorkerMetricsCaptureFrequencyMillis: "long",
  workerMetricsReporterFreqInMillis: "long",
  noOfPersistedMetricsPerWorkerMetrics: "int",
  disableWorkerMetrics: "boolean",
  maxThroughputPerHostKBps: "double",
  dampeningPercentage: "int",
  reBalanceThresholdPercentage: "int",
  allowThroughputOvershoot: "boolean",
  varianceBalancingFrequency: "int",
  workerMetricsEMAAlpha: "double",
  staleWorkerMetricsEntryCleanupDuration: "string",
  // Worker metrics and coordinator state tables (KCL 3.x)
  workerMetricsTableName: "string",
  workerMetricsBillingMode: ["PAY_PER_REQUEST", "PROVISIONED"],
  workerMetricsReadCapacity: "long",
  workerMetricsWriteCapacity: "long",
  workerMetricsPointInTimeRecoveryEnabled: "boolean",
  workerMetricsDeletionProtectionEnabled: "boolean",
  workerMetricsTags: "string",
  coordinatorStateTableName: "string",
  coordinatorStateBillingMode: ["PAY_PER_REQUEST", "PROVISIONED"],
  coordinatorStateReadCapacity: "long",
  coordinatorStateWriteCapacity: "long",
  coordinatorStatePointInTimeRecoveryEnabled: "boolean",
  coordinatorStateDeletionProtectionEnabled: "boolean",
  coordinatorStateTags: "string",
};

/**
 * Prefixes of nested keys the daemon passes to its AWS SDK client builders
 * (e.g. `cloudWatchClient.endpointOverride`) and the fan-out settings bean.
 */
export const NESTED_PREFIXES: readonly string[] = [
  "kinesisClient.",
  "dynamoDbClient.",
  "cloudWatchClient.",
  "fanoutConfig.",
];

/**
 * Finds the daemon's spelling of a key. `AwsCredentialsProvider*` keys are
 * matched without regard to case, as the daemon does.
 *
 * @param key A key as written.
 * @returns The canonical key, or `undefined` if the daemon does not know it.
 */
export function canonicalKey(key: string): string | undefined {
  if (Object.hasOwn(DAEMON_KEYS, key)) return key;
  if (NESTED_PREFIXES.some((prefix) => key.startsWith(prefix) && key.length > prefix.length)) {
    return key;
  }
  const lower = key.toLowerCase();
  if (lower.startsWith("awscredentialsprovider")) {
    return Object.keys(DAEMON_KEYS).find((known) => known.toLowerCase() === lower);
  }
  return undefined;
}

/**
 * Turns `UPPER_SNAKE_CASE` (the part after `KCL_`) into the daemon's key:
 * `MAX_RECORDS` → `maxRecords`, `DYNAMO_DB_ENDPOINT` → `dynamoDBEndpoint`.
 *
 * @param snake The upper snake case name.
 * @returns The known key it names, or `undefined`.
 */
export function keyFromSnakeCase(snake: string): string | undefined {
  const squashed = snake.replaceAll("_", "").toLowerCase();
  return Object.keys(DAEMON_KEYS).find((key) => key.toLowerCase() === squashed);
}

/**
 * Suggests the known key closest to a misspelt one.
 *
 * @param key The unknown key.
 * @returns The closest known key, if close enough to be a typo.
 */
export function suggestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = key.toLowerCase();
  for (const known of Object.keys(DAEMON_KEYS)) {
    const distance = editDistance(lower, known.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = known;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
