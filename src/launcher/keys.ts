/**
 * The properties the KCL 3.1.3 MultiLangDaemon applies: one table, the
 * single source of truth for the launcher's checks, the `KCL_*` names, the
 * README's table of keys (`tools/keys_table.ts`) and the conformance test
 * that loads every key through the daemon's own configurator
 * (`tests/launcher_conformance_test.ts`).
 *
 * Read from amazon-kinesis-client-multilang 3.1.3: `MultiLangDaemonConfig`
 * (executableName, maxActiveThreads), `KinesisClientLibConfigurator` (every
 * key goes through commons-beanutils `setProperty` onto
 * `MultiLangDaemonConfiguration`; unknown keys are skipped silently),
 * `MultiLangDaemonConfiguration` and its beans (`PollingConfigBean`,
 * `FanoutConfigBean`, `GracefulLeaseHandoffConfigBean`,
 * `WorkerUtilizationAwareAssignmentConfigBean`,
 * `WorkerMetricStatsTableConfigBean`, `CoordinatorStateTableConfigBean`),
 * and the defaults of the KCL classes they feed.
 *
 * @module
 */

/** How a value is checked. An array lists the accepted values (case-insensitive). */
export type KeyType =
  | "string"
  | "int"
  | "long"
  | "double"
  | "boolean"
  | "url"
  | "region"
  | "dimensions"
  | "credentials"
  | "duration"
  | "tags"
  | readonly string[];

/** The retrieval mode a key belongs to (`RetrievalMode` picks one builder). */
export type RetrievalModeName = "POLLING" | "FANOUT";

/** One daemon key. */
export interface KeySpec {
  /** How its value is checked. */
  readonly type: KeyType;
  /** KCL's default, as text (`""`: none). */
  readonly kclDefault: string;
  /** Where the daemon applies it (the KCL configuration class, or the daemon itself). */
  readonly appliesTo: string;
  /** What it does, in a few words. */
  readonly doc: string;
  /**
   * The daemon keeps the value in a primitive field and
   * `ConfigurationSettableUtils.resolveFields` skips a value equal to Java's
   * default (`0`, `false`): such a value never reaches KCL.
   */
  readonly primitive?: boolean;
  /** Only used by this retrieval mode. */
  readonly mode?: RetrievalModeName;
  /** Smallest value that works. */
  readonly min?: number;
  /** Largest value that works. */
  readonly max?: number;
  /** A value different from KCL's default, for the conformance test. */
  readonly sample?: string;
  /** The `KCL_` name, when the automatic upper snake case would be odd. */
  readonly envName?: string;
}

const LEASES = "LeaseManagementConfig";
const COORDINATOR = "CoordinatorConfig";
const UTILISATION = "WorkerUtilizationAwareAssignmentConfig";
const WORKER_TABLE = "WorkerMetricsTableConfig";
const STATE_TABLE = "CoordinatorStateTableConfig";
const BILLING = ["PAY_PER_REQUEST", "PROVISIONED"] as const;

/** The daemon's keys, in the README's order. */
export const KEYS: Readonly<Record<string, KeySpec>> = {
  // The daemon itself (MultiLangDaemonConfig, MultiLangRecordProcessorFactory, MultiLangProtocol)
  executableName: {
    type: "string",
    kclDefault: "",
    appliesTo: "daemon",
    doc: "the child command, split on spaces (the launcher sets it)",
  },
  maxActiveThreads: {
    type: "int",
    kclDefault: "0",
    appliesTo: "daemon",
    doc: "child I/O threads; <= 0: a cached pool (leave it)",
    sample: "64",
  },
  timeoutInSeconds: {
    type: "int",
    kclDefault: "",
    appliesTo: "daemon",
    doc: "wait for each child answer, then halt the JVM; unset: for ever",
    min: 1,
    sample: "300",
  },
  shutdownGraceMillis: {
    type: "long",
    kclDefault: "0",
    appliesTo: "daemon",
    doc: "graceful shutdown time on SIGTERM (the launcher sets it)",
    min: 1,
    sample: "15000",
  },
  // Identity, stream, AWS clients
  applicationName: {
    type: "string",
    kclDefault: "",
    appliesTo: "ConfigsBuilder",
    doc: "names the lease table and the metrics namespace (required)",
  },
  streamName: {
    type: "string",
    kclDefault: "",
    appliesTo: "ConfigsBuilder",
    doc: "the stream (or streamArn)",
  },
  streamArn: {
    type: "string",
    kclDefault: "",
    appliesTo: "ConfigsBuilder",
    doc: "only its stream name is used; its region must be regionName's",
    sample: "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
  },
  tableName: {
    type: "string",
    kclDefault: "applicationName",
    appliesTo: "ConfigsBuilder",
    doc: "the lease table",
  },
  workerId: {
    type: "string",
    kclDefault: "a random UUID",
    appliesTo: "ConfigsBuilder",
    doc: "this worker (the launcher sets the host name); alias workerIdentifier",
  },
  regionName: {
    type: "region",
    kclDefault: "the SDK's",
    appliesTo: "Kinesis, DynamoDB, CloudWatch clients",
    doc: "the region of all three clients",
  },
  kinesisEndpoint: {
    type: "url",
    kclDefault: "AWS",
    appliesTo: "Kinesis client",
    doc: "endpoint override; alias kinesisClient.endpointOverride",
  },
  dynamoDBEndpoint: {
    type: "url",
    kclDefault: "AWS",
    appliesTo: "DynamoDB client",
    doc: "endpoint override; alias dynamoDbClient.endpointOverride",
    envName: "DYNAMO_DB_ENDPOINT",
  },
  "cloudWatchClient.endpointOverride": {
    type: "url",
    kclDefault: "AWS",
    appliesTo: "CloudWatch client",
    doc: "endpoint override",
  },
  AwsCredentialsProvider: {
    type: "credentials",
    kclDefault: "",
    appliesTo: "Kinesis client (and the others')",
    doc: "credentials provider(s), comma-separated (required)",
    sample: "EnvironmentVariableCredentialsProvider",
  },
  AwsCredentialsProviderDynamoDB: {
    type: "credentials",
    kclDefault: "AwsCredentialsProvider",
    appliesTo: "DynamoDB client",
    doc: "credentials for DynamoDB",
    sample: "EnvironmentVariableCredentialsProvider",
  },
  AwsCredentialsProviderCloudWatch: {
    type: "credentials",
    kclDefault: "AwsCredentialsProvider",
    appliesTo: "CloudWatch client",
    doc: "credentials for CloudWatch",
    sample: "EnvironmentVariableCredentialsProvider",
  },
  // Where to start
  initialPositionInStream: {
    type: ["TRIM_HORIZON", "LATEST"],
    kclDefault: "LATEST",
    appliesTo: `${LEASES}, RetrievalConfig`,
    doc: "where a new application starts (INITIAL_POSITION)",
    sample: "TRIM_HORIZON",
  },
  initialPositionInStreamExtended: {
    type: "long",
    kclDefault: "",
    appliesTo: `${LEASES}, RetrievalConfig`,
    doc: "AT_TIMESTAMP, in epoch seconds (INITIAL_POSITION=<date>)",
    min: 0,
    sample: "1793491200",
  },
  // Leases
  failoverTimeMillis: {
    type: "long",
    kclDefault: "10000",
    appliesTo: LEASES,
    doc: "a lease not renewed for this long is taken over",
    primitive: true,
  },
  leaseAssignmentIntervalMillis: {
    type: "long",
    kclDefault: "2 × failoverTimeMillis",
    appliesTo: LEASES,
    doc: "how often the leader assigns leases",
    primitive: true,
  },
  enablePriorityLeaseAssignment: {
    type: "boolean",
    kclDefault: "true",
    appliesTo: LEASES,
    doc: "assign expired leases first",
  },
  leaseTableDeletionProtectionEnabled: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: LEASES,
    doc: "deletion protection of the lease table",
  },
  leaseTablePitrEnabled: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: LEASES,
    doc: "point-in-time recovery of the lease table",
  },
  shardSyncIntervalMillis: {
    type: "long",
    kclDefault: "60000",
    appliesTo: LEASES,
    doc: "how often shards and leases are synchronised",
    primitive: true,
  },
  ignoreUnexpectedChildShards: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: LEASES,
    doc: "ignore child shards whose parents are unknown",
    primitive: true,
  },
  maxLeasesForWorker: {
    type: "int",
    kclDefault: "2147483647",
    appliesTo: LEASES,
    doc: "most leases one worker holds",
    primitive: true,
    min: 1,
  },
  maxLeasesToStealAtOneTime: {
    type: "int",
    kclDefault: "1",
    appliesTo: LEASES,
    doc: "leases taken from other workers at once",
    primitive: true,
  },
  initialLeaseTableReadCapacity: {
    type: "int",
    kclDefault: "10",
    appliesTo: LEASES,
    doc: "read capacity of a PROVISIONED lease table",
    primitive: true,
  },
  initialLeaseTableWriteCapacity: {
    type: "int",
    kclDefault: "10",
    appliesTo: LEASES,
    doc: "write capacity of a PROVISIONED lease table",
    primitive: true,
  },
  maxLeaseRenewalThreads: {
    type: "int",
    kclDefault: "20",
    appliesTo: LEASES,
    doc: "lease renewal threads",
    primitive: true,
  },
  listShardsBackoffTimeInMillis: {
    type: "long",
    kclDefault: "1500",
    appliesTo: LEASES,
    doc: "pause between ListShards retries",
    primitive: true,
  },
  maxListShardsRetryAttempts: {
    type: "int",
    kclDefault: "50",
    appliesTo: LEASES,
    doc: "ListShards retries",
    primitive: true,
  },
  // Processing and scheduling
  callProcessRecordsEvenForEmptyRecordList: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: "ProcessorConfig",
    doc: "send processRecords for empty polls too",
    primitive: true,
  },
  parentShardPollIntervalMillis: {
    type: "long",
    kclDefault: "10000",
    appliesTo: COORDINATOR,
    doc: "how often a child shard checks its parents",
    primitive: true,
  },
  skipShardSyncAtWorkerInitializationIfLeasesExist: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: COORDINATOR,
    doc: "no shard sync at start-up if leases exist",
    primitive: true,
  },
  schedulerInitializationBackoffTimeMillis: {
    type: "long",
    kclDefault: "1000",
    appliesTo: COORDINATOR,
    doc: "pause between start-up attempts",
    primitive: true,
  },
  clientVersionConfig: {
    type: ["CLIENT_VERSION_CONFIG_3X", "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X"],
    kclDefault: "CLIENT_VERSION_CONFIG_3X",
    appliesTo: COORDINATOR,
    doc: "COMPATIBLE_WITH_2X while migrating from KCL 2.x",
  },
  taskBackoffTimeMillis: {
    type: "long",
    kclDefault: "500",
    appliesTo: "LifecycleConfig",
    doc: "pause after a failed task",
    primitive: true,
  },
  logWarningForTaskAfterMillis: {
    type: "long",
    kclDefault: "",
    appliesTo: "LifecycleConfig",
    doc: "warn about a task running longer",
    min: 1,
  },
  // Metrics
  metricsBufferTimeMillis: {
    type: "long",
    kclDefault: "10000",
    appliesTo: "MetricsConfig",
    doc: "metrics buffered this long before publishing",
    primitive: true,
  },
  metricsMaxQueueSize: {
    type: "int",
    kclDefault: "10000",
    appliesTo: "MetricsConfig",
    doc: "most metrics buffered",
    primitive: true,
  },
  metricsLevel: {
    type: ["NONE", "SUMMARY", "DETAILED"],
    kclDefault: "DETAILED",
    appliesTo: "MetricsConfig",
    doc: "CloudWatch metrics",
    sample: "NONE",
  },
  metricsEnabledDimensions: {
    type: "dimensions",
    kclDefault: "ALL",
    appliesTo: "MetricsConfig",
    doc: "comma-separated: ALL, Operation, ShardId, StreamId, WorkerIdentifier",
    sample: "Operation,ShardId",
  },
  // Retrieval
  retrievalMode: {
    type: ["FANOUT", "POLLING", "DEFAULT"],
    kclDefault: "DEFAULT",
    appliesTo: "RetrievalConfig",
    doc: "DEFAULT: POLLING if a polling key is set, else FANOUT",
    sample: "POLLING",
  },
  maxRecords: {
    type: "int",
    kclDefault: "10000",
    appliesTo: "PollingConfig",
    doc: "records per GetRecords",
    primitive: true,
    mode: "POLLING",
    min: 1,
    max: 10000,
  },
  idleTimeBetweenReadsInMillis: {
    type: "long",
    kclDefault: "1500",
    appliesTo: "PollingConfig",
    doc: "pause between GetRecords (at least 200)",
    primitive: true,
    mode: "POLLING",
  },
  millisBehindLatestThresholdForReducedTps: {
    type: "long",
    kclDefault: "0",
    appliesTo: "PollingConfig",
    doc: "poll less often when this close to the tip",
    primitive: true,
    mode: "POLLING",
  },
  retryGetRecordsInSeconds: {
    type: "int",
    kclDefault: "",
    appliesTo: "PollingConfig",
    doc: "retry a slow GetRecords after this long",
    mode: "POLLING",
    min: 1,
  },
  maxGetRecordsThreadPool: {
    type: "int",
    kclDefault: "",
    appliesTo: "PollingConfig",
    doc: "threads for those retries",
    mode: "POLLING",
    min: 1,
  },
  "fanoutConfig.consumerArn": {
    type: "string",
    kclDefault: "",
    appliesTo: "FanOutConfig",
    doc: "use this registered consumer",
    mode: "FANOUT",
    sample: "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1",
  },
  "fanoutConfig.consumerName": {
    type: "string",
    kclDefault: "applicationName",
    appliesTo: "FanOutConfig",
    doc: "the consumer to register",
    mode: "FANOUT",
  },
  "fanoutConfig.maxDescribeStreamSummaryRetries": {
    type: "int",
    kclDefault: "10",
    appliesTo: "FanOutConfig",
    doc: "DescribeStreamSummary retries",
    primitive: true,
    mode: "FANOUT",
  },
  "fanoutConfig.maxDescribeStreamConsumerRetries": {
    type: "int",
    kclDefault: "10",
    appliesTo: "FanOutConfig",
    doc: "DescribeStreamConsumer retries",
    primitive: true,
    mode: "FANOUT",
  },
  "fanoutConfig.registerStreamConsumerRetries": {
    type: "int",
    kclDefault: "10",
    appliesTo: "FanOutConfig",
    doc: "RegisterStreamConsumer retries",
    primitive: true,
    mode: "FANOUT",
  },
  "fanoutConfig.retryBackoffMillis": {
    type: "long",
    kclDefault: "1000",
    appliesTo: "FanOutConfig",
    doc: "pause between those retries",
    primitive: true,
    mode: "FANOUT",
  },
  // Graceful lease hand-off (KCL 3.x)
  gracefulLeaseHandoffTimeoutMillis: {
    type: "long",
    kclDefault: "30000",
    appliesTo: "GracefulLeaseHandoffConfig",
    doc: "time a leaving lease gets to checkpoint",
  },
  isGracefulLeaseHandoffEnabled: {
    type: "boolean",
    kclDefault: "true",
    appliesTo: "GracefulLeaseHandoffConfig",
    doc: "shutdownRequested before a lease moves",
  },
  // Worker utilization-aware assignment (KCL 3.x)
  inMemoryWorkerMetricsCaptureFrequencyMillis: {
    type: "long",
    kclDefault: "1000",
    appliesTo: UTILISATION,
    doc: "how often worker metrics are sampled",
    primitive: true,
  },
  workerMetricsReporterFreqInMillis: {
    type: "long",
    kclDefault: "30000",
    appliesTo: UTILISATION,
    doc: "how often they are reported",
    primitive: true,
  },
  noOfPersistedMetricsPerWorkerMetrics: {
    type: "int",
    kclDefault: "10",
    appliesTo: UTILISATION,
    doc: "samples kept per metric",
    primitive: true,
  },
  disableWorkerMetrics: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: UTILISATION,
    doc: "balance by throughput only",
  },
  maxThroughputPerHostKBps: {
    type: "double",
    kclDefault: "1.7976931348623157E308",
    appliesTo: UTILISATION,
    doc: "throughput limit per worker",
    primitive: true,
    envName: "MAX_THROUGHPUT_PER_HOST_KBPS",
    sample: "2048.5",
  },
  dampeningPercentage: {
    type: "int",
    kclDefault: "60",
    appliesTo: UTILISATION,
    doc: "damping of lease moves",
    primitive: true,
  },
  reBalanceThresholdPercentage: {
    type: "int",
    kclDefault: "10",
    appliesTo: UTILISATION,
    doc: "imbalance that triggers a move",
    primitive: true,
  },
  allowThroughputOvershoot: {
    type: "boolean",
    kclDefault: "true",
    appliesTo: UTILISATION,
    doc: "may exceed the throughput limit",
  },
  varianceBalancingFrequency: {
    type: "int",
    kclDefault: "3",
    appliesTo: UTILISATION,
    doc: "variance balancing every N assignments",
    primitive: true,
  },
  workerMetricsEMAAlpha: {
    type: "double",
    kclDefault: "0.5",
    appliesTo: UTILISATION,
    doc: "smoothing of worker metrics",
    primitive: true,
    sample: "0.25",
  },
  staleWorkerMetricsEntryCleanupDuration: {
    type: "duration",
    kclDefault: "P1D",
    appliesTo: UTILISATION,
    doc: "ISO-8601 duration, e.g. PT12H",
    sample: "PT12H",
  },
  // Worker metrics and coordinator state tables (KCL 3.x)
  workerMetricsTableName: {
    type: "string",
    kclDefault: "<applicationName>-WorkerMetricStats",
    appliesTo: WORKER_TABLE,
    doc: "table name",
  },
  workerMetricsBillingMode: {
    type: BILLING,
    kclDefault: "PAY_PER_REQUEST",
    appliesTo: WORKER_TABLE,
    doc: "billing mode",
    sample: "PROVISIONED",
  },
  workerMetricsReadCapacity: {
    type: "long",
    kclDefault: "0",
    appliesTo: WORKER_TABLE,
    doc: "PROVISIONED read capacity",
    primitive: true,
  },
  workerMetricsWriteCapacity: {
    type: "long",
    kclDefault: "0",
    appliesTo: WORKER_TABLE,
    doc: "PROVISIONED write capacity",
    primitive: true,
  },
  workerMetricsPointInTimeRecoveryEnabled: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: WORKER_TABLE,
    doc: "point-in-time recovery",
  },
  workerMetricsDeletionProtectionEnabled: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: WORKER_TABLE,
    doc: "deletion protection",
  },
  workerMetricsTags: {
    type: "tags",
    kclDefault: "none",
    appliesTo: WORKER_TABLE,
    doc: "key=value,key=value",
    sample: "team=orders,env=prod",
  },
  coordinatorStateTableName: {
    type: "string",
    kclDefault: "<applicationName>-CoordinatorState",
    appliesTo: STATE_TABLE,
    doc: "table name",
  },
  coordinatorStateBillingMode: {
    type: BILLING,
    kclDefault: "PAY_PER_REQUEST",
    appliesTo: STATE_TABLE,
    doc: "billing mode",
    sample: "PROVISIONED",
  },
  coordinatorStateReadCapacity: {
    type: "long",
    kclDefault: "0",
    appliesTo: STATE_TABLE,
    doc: "PROVISIONED read capacity",
    primitive: true,
  },
  coordinatorStateWriteCapacity: {
    type: "long",
    kclDefault: "0",
    appliesTo: STATE_TABLE,
    doc: "PROVISIONED write capacity",
    primitive: true,
  },
  coordinatorStatePointInTimeRecoveryEnabled: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: STATE_TABLE,
    doc: "point-in-time recovery",
  },
  coordinatorStateDeletionProtectionEnabled: {
    type: "boolean",
    kclDefault: "false",
    appliesTo: STATE_TABLE,
    doc: "deletion protection",
  },
  coordinatorStateTags: {
    type: "tags",
    kclDefault: "none",
    appliesTo: STATE_TABLE,
    doc: "key=value,key=value",
    sample: "team=orders",
  },
};

/** The daemon's keys and the type of their values (a view of {@linkcode KEYS}). */
export const DAEMON_KEYS: Readonly<Record<string, KeyType>> = Object.fromEntries(
  Object.entries(KEYS).map(([key, spec]) => [key, spec.type]),
);

/**
 * Keys of `MultiLangDaemonConfiguration` the launcher does not accept, and why:
 * no value of theirs does what it says.
 */
export const UNSUPPORTED: Readonly<Record<string, string>> = {
  cleanupLeasesUponShardCompletion: "KCL's default is true, and false has no effect: the daemon " +
    "keeps it in a primitive field and skips a value equal to Java's default " +
    "(ConfigurationSettableUtils), so KCL's default (true) always stays",
  shardPrioritization: "the daemon has no converter for its type: any value makes it print its " +
    "usage and exit",
  validateSequenceNumberBeforeCheckpointing: "the daemon reads it but never passes it to KCL",
  processingLanguage: "the daemon only logs it",
};

/**
 * Other spellings of a key that the daemon applies to the same setting
 * (`MultiLangDaemonConfiguration.setWorkerId` sets `workerIdentifier`;
 * `setKinesisEndpoint`/`setDynamoDBEndpoint` set the client's
 * `endpointOverride`). The launcher writes only the canonical key: with both
 * in one `Properties`, its hash order would pick the value.
 */
export const ALIASES: Readonly<Record<string, string>> = {
  workerIdentifier: "workerId",
  "kinesisClient.endpointOverride": "kinesisEndpoint",
  "dynamoDbClient.endpointOverride": "dynamoDBEndpoint",
};

/**
 * Keys that set what another key also sets: `regionName` sets the region of
 * all three clients (`MultiLangDaemonConfiguration.setRegionName`), and with
 * both in one `Properties` its hash order would decide. The launcher accepts
 * them only with `regionName`'s value, and then leaves them out.
 */
export const OVERLAPS: Readonly<Record<string, string>> = {
  "kinesisClient.region": "regionName",
  "dynamoDbClient.region": "regionName",
  "cloudWatchClient.region": "regionName",
};

/**
 * Finds the daemon's spelling of a key. `AwsCredentialsProvider*` keys are
 * matched without regard to case, as the daemon does
 * (`KinesisClientLibConfigurator.processKey`); aliases give their canonical key.
 *
 * @param key A key as written.
 * @returns The canonical key, or `undefined` if the daemon does not know it.
 */
export function canonicalKey(key: string): string | undefined {
  if (Object.hasOwn(KEYS, key)) return key;
  if (Object.hasOwn(ALIASES, key)) return ALIASES[key];
  if (Object.hasOwn(OVERLAPS, key)) return key;
  const lower = key.toLowerCase();
  if (lower.startsWith("awscredentialsprovider")) {
    return Object.keys(KEYS).find((known) => known.toLowerCase() === lower);
  }
  return undefined;
}

/**
 * A key's `KCL_` name without the prefix: `maxRecords` → `MAX_RECORDS`,
 * `dynamoDBEndpoint` → `DYNAMO_DB_ENDPOINT`, `fanoutConfig.consumerName` →
 * `FANOUT_CONFIG__CONSUMER_NAME` (a dot becomes two underscores).
 *
 * @param key A key of {@linkcode KEYS}.
 * @returns The upper snake case name.
 */
export function snakeCase(key: string): string {
  const envName = KEYS[key]?.envName;
  if (envName) return envName;
  return key.split(".").map((part) =>
    part.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
      .toUpperCase()
  ).join("__");
}

/**
 * The key a `KCL_` name sets: exactly the {@linkcode snakeCase} of a key,
 * nothing looser (`MAXRECORDS` and `maxRecords` are not `MAX_RECORDS`).
 *
 * @param snake The name after `KCL_`.
 * @returns The key, or `undefined`.
 */
export function keyFromSnakeCase(snake: string): string | undefined {
  return Object.keys(KEYS).find((key) => snakeCase(key) === snake);
}

/** Letters and digits only, lower case: how names are compared for suggestions. */
function squash(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, "").toLowerCase();
}

/**
 * Suggests the known key closest to a misspelt one, in any form: a key
 * (`maxRecrods`, `maxrecords`) or a `KCL_` name without its prefix
 * (`MAX_RECROD`, `MAXRECORDS`). One rule for both: names are compared as
 * lower-case letters and digits, by edit distance with transpositions.
 *
 * @param written The unknown name.
 * @returns The closest known key, if close enough to be a typo.
 */
export function suggestKey(written: string): string | undefined {
  const known = closest(written, [
    ...Object.keys(KEYS),
    ...Object.keys(ALIASES),
    ...Object.keys(OVERLAPS),
  ]);
  return known === undefined ? undefined : canonicalKey(known);
}

/**
 * The suggestion engine: the candidate closest to a misspelt name, compared
 * as lower-case letters and digits by edit distance with transpositions, if
 * close enough to be a typo.
 *
 * @param written The unknown name.
 * @param candidates The known names.
 * @returns The closest candidate, or `undefined`.
 */
export function closest(written: string, candidates: readonly string[]): string | undefined {
  const target = squash(written);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of candidates) {
    const distance = editDistance(target, squash(known));
    if (distance < bestDistance) {
      bestDistance = distance;
      best = known;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(target.length / 4)) ? best : undefined;
}

/**
 * The metric dimensions KCL emits (`MetricsScope.METRICS_DIMENSIONS_ALL`,
 * `MetricsUtil`): `metricsEnabledDimensions` filters on these names, so any
 * other name only removes what it was meant to keep.
 */
export const METRICS_DIMENSIONS: readonly string[] = [
  "ALL",
  "Operation",
  "ShardId",
  "StreamId",
  "WorkerIdentifier",
];

/**
 * The credentials providers the daemon can build from a short name
 * (`AwsCredentialsProviderPropertyValueDecoder` looks names up in
 * `software.amazon.kinesis.multilang.auth` and
 * `software.amazon.awssdk.auth.credentials`, and skips, with a warning only,
 * every one it cannot build). `StsAssumeRoleCredentialsProvider` is rewritten
 * to `KclStsAssumeRoleCredentialsProvider`. Names with a dot are class names
 * of the jar or the class path, taken as written.
 */
export const CREDENTIALS_PROVIDERS: readonly string[] = [
  "DefaultCredentialsProvider",
  "EnvironmentVariableCredentialsProvider",
  "SystemPropertyCredentialsProvider",
  "ProfileCredentialsProvider",
  "WebIdentityTokenFileCredentialsProvider",
  "ContainerCredentialsProvider",
  "InstanceProfileCredentialsProvider",
  "AnonymousCredentialsProvider",
  "StsAssumeRoleCredentialsProvider",
  "KclStsAssumeRoleCredentialsProvider",
];

/** Optimal string alignment distance: edits and swaps of neighbours count 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}
