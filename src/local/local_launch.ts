/**
 * Starting a processor's launcher against the local emulators, the way the
 * end-to-end tests and `deno task demo` do: `deno run <the binary's flags>
 * <processor> launch --config=properties/local.properties` (plus
 * `--config=properties/local-polling.properties` to poll), with the
 * emulators' endpoints and credentials, and the children's logs as JSON lines
 * on stderr (one debug record per processed record, from the template).
 *
 * @module
 */

import {
  createLeaseTable,
  createStream,
  type Emulators,
  listShards,
  seedLeases,
  type ShardInfo,
} from "./emulators.ts";
import { PERMISSION_FLAGS } from "../runtime/permissions.ts";
import { LineReader } from "../transport/line_reader.ts";

/** The daemon profile for the emulators, relative to the working directory. */
export const LOCAL_PROFILE = "properties/local.properties";
/** The polling overlay of {@linkcode LOCAL_PROFILE}, relative to the working directory. */
export const LOCAL_POLLING_PROFILE = "properties/local-polling.properties";

/**
 * How the daemon reads the stream: `POLLING` (GetRecords) or `FANOUT` (enhanced fan-out: the
 * daemon registers a stream consumer named after the application and subscribes to each shard).
 */
export type RetrievalMode = "POLLING" | "FANOUT";

/** Both retrieval modes, for tests that run in each. */
export const RETRIEVAL_MODES: readonly RetrievalMode[] = ["POLLING", "FANOUT"];

/**
 * The launcher arguments that select a retrieval mode over the local profile. FANOUT is set
 * explicitly (not left to the template's default) and adds no polling key: the daemon ignores
 * those under FANOUT (`MultiLangDaemonConfiguration` builds a `FanOutConfig` only).
 *
 * @param mode The retrieval mode.
 * @param profile The local profile's path.
 * @param pollingProfile Its polling overlay's path.
 * @returns The `--config=...` and `--key=value` arguments.
 */
export function profileArgs(
  mode: RetrievalMode,
  profile: string = LOCAL_PROFILE,
  pollingProfile: string = LOCAL_POLLING_PROFILE,
): string[] {
  return mode === "POLLING"
    ? [`--config=${profile}`, `--config=${pollingProfile}`]
    : [`--config=${profile}`, "--retrievalMode=FANOUT"];
}

/**
 * Creates a stream and its application's lease table (with the index KCL 3.x needs), with one
 * lease per shard so that the daemon starts at once.
 *
 * @param emulators The running emulators.
 * @param stream The stream to create.
 * @param shardCount Its shards.
 * @param application The application, which names the lease table.
 * @returns The stream's shards.
 */
export async function prepareStream(
  emulators: Pick<Emulators, "kinesisEndpoint" | "dynamoEndpoint">,
  stream: string,
  shardCount: number,
  application: string,
): Promise<ShardInfo[]> {
  await createStream(emulators.kinesisEndpoint, stream, shardCount);
  const shards = await listShards(emulators.kinesisEndpoint, stream);
  await createLeaseTable(emulators.dynamoEndpoint, application);
  await seedLeases(emulators.dynamoEndpoint, application, shards);
  return shards;
}

/** What to launch. */
export interface LocalLaunchOptions {
  /** The running emulators. */
  emulators: Pick<Emulators, "kinesisEndpoint" | "dynamoEndpoint" | "daemonEnv">;
  /** The daemon jar. */
  jar: string;
  /** The processor's main module. */
  processor: string;
  /** The stream. */
  stream: string;
  /** The application (lease table). */
  application: string;
  /** The worker id. */
  workerId: string;
  /** More environment, e.g. `CHECKPOINT_FREQ_SECONDS`. */
  env?: Record<string, string>;
  /** More launcher arguments (`--key=value`). */
  args?: string[];
  /** The daemon profile for the emulators. @default {LOCAL_PROFILE} */
  profile?: string;
  /** Its polling overlay, used under POLLING. @default {LOCAL_POLLING_PROFILE} */
  pollingProfile?: string;
  /** The retrieval mode. @default {"POLLING"} */
  retrieval?: RetrievalMode;
}

/**
 * The `deno` arguments and environment of a local launch (run it in a directory that has
 * {@linkcode LOCAL_PROFILE}, or pass `profile`).
 *
 * @param options What to launch.
 * @returns The arguments after the Deno executable, and the environment.
 */
export function localLaunch(options: LocalLaunchOptions): {
  args: string[];
  env: Record<string, string>;
} {
  const { emulators } = options;
  return {
    args: [
      "run",
      ...PERMISSION_FLAGS,
      options.processor,
      "launch",
      ...profileArgs(options.retrieval ?? "POLLING", options.profile, options.pollingProfile),
      ...(options.args ?? []),
    ],
    env: {
      ...emulators.daemonEnv,
      STREAM_NAME: options.stream,
      APPLICATION_NAME: options.application,
      WORKER_ID: options.workerId,
      KINESIS_ENDPOINT: emulators.kinesisEndpoint,
      DYNAMODB_ENDPOINT: emulators.dynamoEndpoint,
      KCLTS_JAR: options.jar,
      KCLTS_LOG_FORMAT: "json",
      KCLTS_LOG_LEVEL: "debug",
      KCLTS_STOP_TIMEOUT_SECONDS: "20",
      DENO_NO_UPDATE_CHECK: "1",
      ...options.env,
    },
  };
}

/**
 * Calls `onLine` for each line of a stream (e.g. a launcher's stderr) until it ends.
 *
 * @param stream The bytes.
 * @param onLine Receives each line, without its terminator.
 */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const reader = new LineReader(stream);
  for (let line = await reader.next(); line !== null; line = await reader.next()) onLine(line);
}
