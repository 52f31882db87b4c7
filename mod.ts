/**
 * kclts: write Amazon Kinesis consumers in TypeScript on Deno, as the child
 * process of the KCL MultiLangDaemon (KCL 3.x, 2.x, and 1.x daemons).
 *
 * The daemon does leases, load balancing and resharding; a kclts program
 * processes the records of one shard, with either API:
 *
 * - {@linkcode RecordProcessor}: kclpy's per-record API, with
 *   `processRecord(data, partitionKey, sequenceNumber)`, `return true` to
 *   checkpoint, and checkpoints every N seconds and/or N records;
 * - {@linkcode BatchProcessor}: a typed, async handler per daemon message.
 *
 * {@linkcode start} runs either as the daemon's child. The `./testing` module
 * has a fake daemon to unit-test processors without Java.
 *
 * @example A kclpy-style processor, tested with the fake daemon
 * ```ts
 * import { RecordProcessor } from "@kclts/kclts";
 * import { FakeDaemon } from "@kclts/kclts/testing";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * class Counter extends RecordProcessor {
 *   count = 0;
 *   override processRecord() {
 *     this.count++;
 *   }
 * }
 *
 * const counter = new Counter({ recordsPerCheckpoint: 2, checkpointFreqSeconds: 0 });
 * await using daemon = new FakeDaemon(counter);
 * await daemon.initialize();
 * await daemon.processRecords([{ data: "a" }, { data: "b" }, { data: "c" }]);
 * await daemon.shardEnded();
 * deepStrictEqual(counter.count, 3);
 * deepStrictEqual(daemon.stored, "SHARD_END");
 * ```
 *
 * @module
 */

// The processor APIs and how to run them.
export { start, type StartOptions } from "./src/runtime/start.ts";
export { envCount } from "./src/runtime/settings.ts";
export { run, type RunOptions } from "./src/session/session.ts";
export {
  type ProcessRecordResult,
  RecordProcessor,
  type RecordProcessorOptions,
} from "./src/api/record_processor.ts";
export type {
  BatchProcessor,
  InitializeInput,
  LeaseLostInput,
  ProcessRecordsInput,
  ShardEndedInput,
  ShutdownRequestedInput,
} from "./src/api/processor.ts";
export { KinesisRecord } from "./src/api/record.ts";
export type { ProcessorFactory, ProcessorSource } from "./src/api/factory.ts";

// Hub mode: every shard of a worker in one process.
export { Hub, type HubOptions, type HubSession, type HubTotals } from "./src/hub/hub.ts";

// Checkpointing and error handling.
export type { Checkpointer, CheckpointRetryOptions } from "./src/session/checkpointer.ts";
export { CheckpointPolicy, type CheckpointPolicyOptions } from "./src/session/checkpoint_policy.ts";
export type {
  DeadLetterContext,
  DeadLetterHook,
  ErrorPolicyOptions,
} from "./src/session/error_policy.ts";
export {
  CheckpointError,
  type CheckpointErrorName,
  type CheckpointErrorOptions,
  ProcessingError,
  ProtocolError,
  RecordFailure,
  type RecordIdentity,
} from "./src/errors.ts";
export {
  comparePositions,
  compareSequenceNumbers,
  type SequencePosition,
} from "./src/protocol/sequence.ts";

// Logging and stdout hygiene.
export { getLogger, type Log, type LogMethod } from "./src/runtime/log.ts";
export {
  configureStderrLogging,
  loggingFromEnv,
  type LoggingOptions,
  type LogLevel,
} from "./src/runtime/logging.ts";
export { redirectConsoleToStderr } from "./src/runtime/console_guard.ts";
export {
  guardStdout,
  type StdoutGuard,
  type StdoutGuardOptions,
} from "./src/runtime/stdout_guard.ts";
export type { SyncWriter } from "./src/transport/write_all.ts";
export type {
  ShardState,
  ShardStats,
  ShardStatsReader,
  ShardStatsSnapshot,
} from "./src/session/stats.ts";
export { VERSION } from "./src/version.ts";

// The protocol, for advanced use and tools.
export {
  isSequenceNumber,
  parseChildMessage,
  parseDaemonMessage,
  serializeChildMessage,
  serializeDaemonMessage,
  type SerializeOptions,
} from "./src/protocol/codec.ts";
export type * from "./src/protocol/types.ts";
export {
  type Connection,
  type ConnectOptions,
  connectStreams,
  type TraceDirection,
  type TraceFunction,
} from "./src/transport/connection.ts";
export { connectStdio, type StdioOptions } from "./src/transport/stdio.ts";
export { connectSocket, type SocketLike } from "./src/transport/socket.ts";
export { LineReader } from "./src/transport/line_reader.ts";
