/**
 * Local AWS stand-ins for kclts's end-to-end tests, the demo and `local emulators`: kinesis-mock
 * (npm `kinesis-local`) for Kinesis and dynalite for DynamoDB, both started as child processes bound
 * to 127.0.0.1, and small Kinesis/DynamoDB helpers that speak the AWS JSON protocols with plain
 * `fetch` (no AWS SDK). The npm packages are installed next to this module in a checkout, and in
 * kclts's cache directory when kclts comes from JSR.
 *
 * Both emulators run under Node or under Deno itself (the `deno` binary running this module), so a
 * machine without Node needs only Deno, a JDK and Maven. The default (`runtime: "auto"`) prefers
 * Node when it is installed: under Deno 2.9.6, every Kinesis call of the daemon (Netty, HTTP/2
 * h2c) stalled for ~10 s right after new shard consumers started, in 5 of 27 end-to-end runs (never
 * in 12 runs under Node); Deno starts faster (0.7 s vs 1.5 s) and uses less memory (115 vs 180 MB).
 * Nothing here writes to stdout: child output goes to files in `logDir` (or is
 * discarded), and the output of `npm`/`mvn` is forwarded to our stderr.
 *
 * @example Start both emulators, create a stream and a lease table, write records
 * ```ts ignore
 * import * as emu from "./emulators.ts";
 * import { ensureSylviteJar } from "./jar.ts";
 *
 * const jar = await ensureSylviteJar();
 * await using emulators = await emu.startEmulators({ logDir: "/tmp/kclts-logs" });
 * await emu.createStream(emulators.kinesisEndpoint, "orders", 2);
 * await emu.createLeaseTable(emulators.dynamoEndpoint, "orders-app");
 * // optional: skip KCL's random 1-30 s wait on an empty lease table
 * await emu.seedLeases(
 *   emulators.dynamoEndpoint,
 *   "orders-app",
 *   await emu.listShards(emulators.kinesisEndpoint, "orders"),
 * );
 * await emu.putRecords(emulators.kinesisEndpoint, "orders", [{ data: "hello", partitionKey: "a" }]);
 * await Deno.writeTextFile(
 *   "/tmp/orders.properties",
 *   emu.daemonProperties(emulators, {
 *     applicationName: "orders-app",
 *     streamName: "orders",
 *     executableName: "deno run -A processor.ts",
 *   }),
 * );
 * const daemon = new Deno.Command("java", {
 *   args: ["-Dfile.encoding=UTF-8", "-jar", jar, "--properties-file", "/tmp/orders.properties"],
 *   env: { ...emulators.daemonEnv },
 *   stdout: "null",
 * }).spawn();
 * // ... then: await emu.waitFor(async () => (await emu.scanLeases(...)).every(...), 60_000)
 * ```
 *
 * @module
 */

import { cacheDir, localPath, PACKAGE_ROOT, packageUrl, readPackageFile } from "./package.ts";
import { commandExists, exists, logToStderr, runToStderr } from "./run.ts";
import { createTableInput, tableSpecs } from "../launcher/tables.ts";

// ---------------------------------------------------------------------------------------------
// Constants and paths
// ---------------------------------------------------------------------------------------------

/**
 * Region used for every emulator request. The daemon's `regionName` must be the same: kinesis-mock
 * keeps streams per region, taken from the SigV4 credential scope of each request.
 */
export const EMULATOR_REGION = "us-east-1";

/**
 * Dummy static credentials accepted by both emulators (neither checks signatures). Pass them to the
 * daemon as `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (see {@linkcode Emulators.daemonEnv}).
 */
export const EMULATOR_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = {
  accessKeyId: "AKIDKCLTSLOCAL",
  secretAccessKey: "kclts-local-secret",
};

/** The emulators' files (npm manifest, lockfile, start scripts), relative to the package root. */
export const EMULATOR_FILES: readonly string[] = [
  "src/local/emulators/package.json",
  "src/local/emulators/package-lock.json",
  "src/local/emulators/kinesis-mock.mjs",
  "src/local/emulators/dynalite.mjs",
];

const encoder = new TextEncoder();

function log(message: string): void {
  logToStderr("kclts emulators", message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The directory the emulators are installed in and run from: in a kclts checkout
 * `src/local/emulators/` itself; from JSR `<cache>/emulators/`, where the files of
 * {@linkcode EMULATOR_FILES} are copied first.
 *
 * @param env The environment (`KCLTS_CACHE_DIR`, `HOME`). @default {Deno.env}
 * @param root The kclts package root. @default {this package}
 * @returns The directory.
 */
export async function emulatorsDir(
  env: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
  root: URL = PACKAGE_ROOT,
): Promise<string> {
  const checkout = localPath(packageUrl("src/local/emulators/", root));
  if (checkout !== undefined && await exists(`${checkout}/package.json`)) return checkout;
  const cache = cacheDir(env);
  if (cache === undefined) {
    throw new Error("No cache directory for the emulators: set KCLTS_CACHE_DIR (or HOME)");
  }
  const dir = `${cache}/emulators`;
  await Deno.mkdir(dir, { recursive: true });
  for (const file of EMULATOR_FILES) {
    const target = `${dir}/${file.slice(file.lastIndexOf("/") + 1)}`;
    const bytes = await readPackageFile(file, root);
    const current = await Deno.readFile(target).catch(() => undefined);
    if (
      current === undefined || current.length !== bytes.length ||
      !current.every((b, i) => b === bytes[i])
    ) {
      await Deno.writeFile(target, bytes);
    }
  }
  return dir;
}

/** Options of {@linkcode ensureEmulatorsInstalled}. */
export interface InstallOptions {
  /** The environment (`KCLTS_CACHE_DIR`, `HOME`). @default {Deno.env} */
  env?: Readonly<Record<string, string | undefined>>;
  /** The kclts package root. @default {this package} */
  root?: URL;
}

/**
 * Make sure the emulator packages are installed in {@linkcode emulatorsDir}'s `node_modules`.
 *
 * Runs `npm ci` (exact versions from `package-lock.json`) when they are missing. If `npm` is not
 * on `PATH`, falls back to `deno install` (the two packages pinned in `package.json`; their
 * dependencies are then resolved fresh, without the npm lockfile). Output goes to stderr.
 *
 * @param options Environment and package root.
 * @returns The directory the emulators run from, once both packages are present.
 */
export async function ensureEmulatorsInstalled(options: InstallOptions = {}): Promise<string> {
  const dir = await emulatorsDir(options.env, options.root);
  const installed = async () =>
    await exists(`${dir}/node_modules/kinesis-local/main.js`) &&
    await exists(`${dir}/node_modules/dynalite/cli.js`);
  if (await installed()) return dir;
  if (await commandExists("npm")) {
    log(`installing the emulators: npm ci (in ${dir})`);
    await runToStderr("npm", ["ci", "--no-audit", "--no-fund"], dir);
  } else {
    // No npm: let Deno install the package.json in a scratch folder (--no-lock: no lockfile is
    // written), then move the finished node_modules into place.
    log(`npm not found; installing the emulators with deno install (in ${dir})`);
    const scratch = `${dir}/.deno-install`;
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    await Deno.mkdir(scratch, { recursive: true });
    try {
      await Deno.copyFile(`${dir}/package.json`, `${scratch}/package.json`);
      await runToStderr(
        Deno.execPath(),
        ["install", "--no-lock", "--node-modules-dir=auto", "--quiet"],
        scratch,
      );
      await Deno.remove(`${dir}/node_modules`, { recursive: true }).catch(() => {});
      await Deno.rename(`${scratch}/node_modules`, `${dir}/node_modules`);
    } finally {
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  }
  if (!(await installed())) {
    throw new Error(`Emulator installation incomplete: missing files under ${dir}`);
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Emulator processes
// ---------------------------------------------------------------------------------------------

/**
 * The environment of kinesis-mock as kclts runs it (tests, demo, the emulator image): in memory,
 * region `us-east-1`, quiet logs, and 50 ms stream transitions (create, split, ...).
 *
 * @param plainPort Its plain (HTTP/1.1 and h2c) port.
 * @param tlsPort Its TLS port (required by kinesis-mock, unused here).
 * @param certPath Its certificate (`node_modules/kinesis-local/server.json`).
 * @returns The variables.
 */
export function kinesisMockEnvironment(
  plainPort: number,
  tlsPort: number,
  certPath: string,
): Record<string, string> {
  return {
    KINESIS_MOCK_PLAIN_PORT: String(plainPort),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    KINESIS_MOCK_CERT_PATH: certPath,
    AWS_REGION: EMULATOR_REGION,
    SHOULD_PERSIST_DATA: "false",
    LOAD_DATA_IF_EXISTS: "false",
    LOG_LEVEL: "WARN",
    ROOT_LOG_LEVEL: "ERROR",
    CREATE_STREAM_DURATION: "50ms",
    DELETE_STREAM_DURATION: "50ms",
    SPLIT_SHARD_DURATION: "50ms",
    MERGE_SHARDS_DURATION: "50ms",
    UPDATE_SHARD_COUNT_DURATION: "50ms",
    REGISTER_STREAM_CONSUMER_DURATION: "50ms",
    DEREGISTER_STREAM_CONSUMER_DURATION: "50ms",
  };
}

/**
 * dynalite's arguments as kclts runs it: in memory, on `host`, with instant table transitions
 * (the SDK's table waiters poll only every 20 s).
 *
 * @param host The address to listen on.
 * @param port The port.
 * @returns The arguments after `dynalite.mjs`.
 */
export function dynaliteArguments(host: string, port: number): string[] {
  return [
    "--host",
    host,
    "--port",
    String(port),
    "--createTableMs",
    "0",
    "--updateTableMs",
    "0",
    "--deleteTableMs",
    "0",
  ];
}

/** Options of {@linkcode startEmulators}. */
export interface StartEmulatorsOptions {
  /** Plain-HTTP port of kinesis-mock (HTTP/1.1 and h2c). @default {a free port} */
  kinesisPort?: number;
  /** Port of dynalite. @default {a free port} */
  dynamoPort?: number;
  /**
   * The address both emulators listen on (`0.0.0.0` in a container). The endpoints returned use
   * 127.0.0.1 for a wildcard address. @default {"127.0.0.1"}
   */
  host?: string;
  /**
   * Directory for `kinesis-mock.log` and `dynalite.log` (created if needed). Without it the
   * emulators' output is discarded.
   */
  logDir?: string;
  /**
   * JavaScript runtime that runs the emulators. `"auto"` picks Node when `node` is on `PATH` (see
   * the module docs: under Deno, kinesis-mock's HTTP/2 connection to the daemon occasionally stalls
   * for ~10 s), else Deno. The environment variable `KCLTS_EMULATOR_RUNTIME` (`deno`/`node`)
   * overrides `"auto"`.
   * @default {"auto"}
   */
  runtime?: "auto" | "deno" | "node";
  /** How long to wait for both emulators to answer. @default {60000} */
  startTimeoutMs?: number;
}

/** Running emulators, as returned by {@linkcode startEmulators}. */
export interface Emulators {
  /** Kinesis endpoint, e.g. `http://127.0.0.1:45123` (daemon property `kinesisEndpoint`). */
  readonly kinesisEndpoint: string;
  /** DynamoDB endpoint (daemon property `dynamoDBEndpoint`). */
  readonly dynamoEndpoint: string;
  /** Region the helpers sign with (daemon property `regionName`). */
  readonly region: string;
  /**
   * Environment for the daemon's JVM: dummy credentials (`AWS_ACCESS_KEY_ID`,
   * `AWS_SECRET_ACCESS_KEY`), `AWS_REGION`, and `AWS_EC2_METADATA_DISABLED=true`.
   */
  readonly daemonEnv: Readonly<Record<string, string>>;
  /** Kill both emulator processes and wait until they have exited. Idempotent. */
  stop(): Promise<void>;
  /** Same as {@linkcode Emulators.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface ManagedProcess {
  readonly name: string;
  readonly child: Deno.ChildProcess;
  readonly done: Promise<void>;
}

const liveChildren = new Set<Deno.ChildProcess>();
let unloadHookInstalled = false;

function installUnloadHook(): void {
  if (unloadHookInstalled) return;
  unloadHookInstalled = true;
  // Last resort if a caller forgets stop(): kill what is still running when this isolate exits.
  globalThis.addEventListener("unload", () => {
    for (const child of liveChildren) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

async function resolveRuntime(requested: "auto" | "deno" | "node"): Promise<"deno" | "node"> {
  if (requested !== "auto") return requested;
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("KCLTS_EMULATOR_RUNTIME");
  } catch {
    fromEnv = undefined; // no --allow-env
  }
  if (fromEnv === "deno" || fromEnv === "node") return fromEnv;
  return await commandExists("node") ? "node" : "deno";
}

/** Ask the OS for a currently free TCP port on 127.0.0.1. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function spawnEmulator(
  dir: string,
  name: string,
  runtime: "deno" | "node",
  script: string,
  args: string[],
  env: Record<string, string>,
  logDir: string | undefined,
): Promise<ManagedProcess> {
  const command = runtime === "deno" ? Deno.execPath() : "node";
  const runtimeArgs = runtime === "deno"
    ? ["run", "--no-config", "--no-lock", "--allow-all", "--quiet", script, ...args]
    : [script, ...args];
  const logged = logDir !== undefined;
  const child = new Deno.Command(command, {
    args: runtimeArgs,
    cwd: dir,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: logged ? "piped" : "null",
    stderr: logged ? "piped" : "null",
    // Its own session: a Ctrl+C in the terminal must not kill the emulators before the daemon
    // has shut down gracefully (its last checkpoints go to DynamoDB). stop() ends them.
    detached: true,
  }).spawn();
  liveChildren.add(child);
  installUnloadHook();
  let done: Promise<void> = child.status.then(() => {
    liveChildren.delete(child);
  });
  if (logged) {
    const path = `${logDir}/${name}.log`;
    const open = () => Deno.open(path, { create: true, append: true });
    let files: Deno.FsFile[];
    try {
      files = await Promise.all([open(), open()]);
    } catch (error) {
      child.kill("SIGKILL");
      await done;
      throw error;
    }
    const [out, err] = files as [Deno.FsFile, Deno.FsFile];
    const pumps = Promise.all([
      child.stdout.pipeTo(out.writable).catch(() => {}),
      child.stderr.pipeTo(err.writable).catch(() => {}),
    ]);
    done = Promise.all([done, pumps]).then(() => {});
  }
  return { name, child, done };
}

async function stopProcess(proc: ManagedProcess, graceMs = 1_000): Promise<void> {
  // With clients still connected, one of the emulators did not exit within 5 s of SIGTERM (each
  // exits at once when idle); they keep nothing on disk, so SIGKILL after a short grace is fine.
  try {
    proc.child.kill("SIGTERM");
  } catch {
    // already exited
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    proc.child.status.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (!exited) {
    try {
      proc.child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }
  await proc.done;
}

async function answers(url: string, init: RequestInit): Promise<boolean> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function waitUntilReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  deadline: number,
): Promise<void> {
  let exitedCode: number | undefined;
  proc.child.status.then((status) => {
    exitedCode = status.code;
  });
  while (Date.now() < deadline) {
    if (exitedCode !== undefined) {
      throw new Error(`${proc.name} exited during start-up with code ${exitedCode}`);
    }
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`${proc.name} did not answer within the start-up timeout`);
}

/**
 * Start kinesis-mock and dynalite on 127.0.0.1 and wait until both answer.
 *
 * kinesis-mock listens on a plain port (HTTP/1.1 and h2c, which the daemon's Netty Kinesis client
 * requires) and a TLS port (unused); dynalite is started with zero CREATING/UPDATING/DELETING
 * delays so KCL's DynamoDB waiters never sleep. Stream/table data lives in memory only.
 *
 * @param options Ports, log directory, runtime.
 * @returns Endpoints and a `stop()` that kills both processes and awaits their exit.
 */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const dir = await ensureEmulatorsInstalled();
  const runtime = await resolveRuntime(options.runtime ?? "auto");
  const kinesisPort = options.kinesisPort ?? freePort();
  const kinesisTlsPort = freePort();
  const dynamoPort = options.dynamoPort ?? freePort();
  const logDir = options.logDir;
  if (logDir !== undefined) await Deno.mkdir(logDir, { recursive: true });
  const host = options.host ?? "127.0.0.1";
  const local = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const kinesisEndpoint = `http://${local}:${kinesisPort}`;
  const dynamoEndpoint = `http://${local}:${dynamoPort}`;

  const processes: ManagedProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(processes.splice(0).map((proc) => stopProcess(proc)));
  };
  try {
    processes.push(
      await spawnEmulator(dir, "kinesis-mock", runtime, `${dir}/kinesis-mock.mjs`, [], {
        ...kinesisMockEnvironment(
          kinesisPort,
          kinesisTlsPort,
          `${dir}/node_modules/kinesis-local/server.json`,
        ),
        KCLTS_EMULATOR_HOST: host,
      }, logDir),
    );
    processes.push(
      await spawnEmulator(
        dir,
        "dynalite",
        runtime,
        `${dir}/dynalite.mjs`,
        dynaliteArguments(host, dynamoPort),
        {},
        logDir,
      ),
    );
    const [kinesis, dynamo] = processes as [ManagedProcess, ManagedProcess];
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    await Promise.all([
      waitUntilReady(kinesis, () => answers(`${kinesisEndpoint}/healthcheck`, {}), deadline),
      waitUntilReady(
        dynamo,
        () =>
          answers(dynamoEndpoint, {
            method: "POST",
            headers: awsHeaders("dynamodb", "DynamoDB_20120810.ListTables", "1.0"),
            body: "{}",
          }),
        deadline,
      ),
    ]);
  } catch (error) {
    await stopAll();
    throw error;
  }

  return {
    kinesisEndpoint,
    dynamoEndpoint,
    region: EMULATOR_REGION,
    daemonEnv: {
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_REGION: EMULATOR_REGION,
      AWS_EC2_METADATA_DISABLED: "true",
    },
    stop: stopAll,
    [Symbol.asyncDispose]: stopAll,
  };
}

// ---------------------------------------------------------------------------------------------
// Daemon properties
// ---------------------------------------------------------------------------------------------

/** Options of {@linkcode daemonProperties}. */
export interface DaemonPropertiesOptions {
  /** KCL application name = lease table name (create it first with {@linkcode createLeaseTable}). */
  applicationName: string;
  /** Stream to consume. */
  streamName: string;
  /** Child command line (split on spaces by the daemon; no quoting). */
  executableName: string;
  /** Fixed worker id (keeps leases across daemon restarts). @default {random per start} */
  workerId?: string;
  /** Extra or overriding `key = value` properties. */
  extra?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Build a MultiLangDaemon properties file (text) for the given emulators, tuned for fast tests:
 * polling retrieval every 100 ms, no CloudWatch metrics, no worker-metrics/IMDS probing, short
 * lease/shard-sync intervals, graceful shutdown enabled (`shutdownGraceMillis`). Credentials come
 * from the environment ({@linkcode Emulators.daemonEnv}).
 *
 * @param emulators The running emulators (endpoints and region).
 * @param options Application, stream, child command and overrides.
 * @returns The properties text (ends with a newline).
 */
export function daemonProperties(
  emulators: Pick<Emulators, "kinesisEndpoint" | "dynamoEndpoint" | "region">,
  options: DaemonPropertiesOptions,
): string {
  const properties: Record<string, string | number | boolean> = {
    executableName: options.executableName,
    applicationName: options.applicationName,
    streamName: options.streamName,
    regionName: emulators.region,
    kinesisEndpoint: emulators.kinesisEndpoint,
    dynamoDBEndpoint: emulators.dynamoEndpoint,
    AwsCredentialsProvider: "EnvironmentVariableCredentialsProvider",
    initialPositionInStream: "TRIM_HORIZON",
    retrievalMode: "POLLING",
    idleTimeBetweenReadsInMillis: 200, // KCL 3.1.3 raises anything lower to 200 (with a WARN)
    maxRecords: 1000,
    metricsLevel: "NONE",
    disableWorkerMetrics: true,
    // first WorkerMetricStats report after 2 x this; until then the leader assigns no lease
    inMemoryWorkerMetricsCaptureFrequencyMillis: 100,
    failoverTimeMillis: 2000,
    leaseAssignmentIntervalMillis: 1000,
    shardSyncIntervalMillis: 1000,
    parentShardPollIntervalMillis: 200,
    taskBackoffTimeMillis: 200,
    listShardsBackoffTimeInMillis: 200,
    schedulerInitializationBackoffTimeMillis: 200,
    shutdownGraceMillis: 10000,
  };
  if (options.workerId !== undefined) properties.workerId = options.workerId;
  Object.assign(properties, options.extra ?? {});
  return Object.entries(properties).map(([key, value]) => `${key} = ${value}`).join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// AWS JSON protocol
// ---------------------------------------------------------------------------------------------

/** An error answer (HTTP status ≥ 400) from an emulator. */
export class AwsServiceError extends Error {
  /** Short error type, e.g. `ResourceNotFoundException`. */
  readonly code: string;
  /** HTTP status code. */
  readonly status: number;
  /**
   * Create an error from an emulator's error answer.
   *
   * @param operation The operation name (`X-Amz-Target` without the prefix).
   * @param code Short error type.
   * @param status HTTP status code.
   * @param detail Message of the service.
   */
  constructor(operation: string, code: string, status: number, detail: string) {
    super(`${operation} failed (${status} ${code}): ${detail}`);
    this.name = "AwsServiceError";
    this.code = code;
    this.status = status;
  }
}

function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function awsHeaders(service: string, target: string, jsonVersion: "1.0" | "1.1"): HeadersInit {
  const date = amzDate(new Date());
  const scope = `${date.slice(0, 8)}/${EMULATOR_REGION}/${service}/aws4_request`;
  return {
    "Content-Type": `application/x-amz-json-${jsonVersion}`,
    "X-Amz-Target": target,
    "X-Amz-Date": date,
    // Neither emulator verifies signatures, but both want a well-formed SigV4 header.
    "Authorization": `AWS4-HMAC-SHA256 Credential=${EMULATOR_CREDENTIALS.accessKeyId}/${scope}, ` +
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0".repeat(64),
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

async function awsCall(
  endpoint: string,
  service: "kinesis" | "dynamodb",
  operation: string,
  body: JsonObject,
): Promise<JsonObject> {
  const target = service === "kinesis"
    ? `Kinesis_20131202.${operation}`
    : `DynamoDB_20120810.${operation}`;
  const response = await fetch(endpoint, {
    method: "POST",
    headers: awsHeaders(service, target, service === "kinesis" ? "1.1" : "1.0"),
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Json = null;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = null;
    }
  }
  const object: JsonObject = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
    ? parsed
    : {};
  if (!response.ok) {
    const type = typeof object.__type === "string" ? object.__type : "UnknownError";
    const code = type.slice(type.lastIndexOf("#") + 1);
    const message = typeof object.message === "string"
      ? object.message
      : typeof object.Message === "string"
      ? object.Message
      : text.slice(0, 200);
    throw new AwsServiceError(operation, code, response.status, message);
  }
  return object;
}

function str(value: Json | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function obj(value: Json | undefined): JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
}

function arr(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

// ---------------------------------------------------------------------------------------------
// Generic helpers
// ---------------------------------------------------------------------------------------------

/** Options of {@linkcode waitFor}. */
export interface WaitForOptions {
  /** Delay between two evaluations of the predicate. @default {100} */
  intervalMs?: number;
  /** Text added to the timeout error. */
  message?: string;
}

/**
 * Evaluate `predicate` until it returns a truthy value and return that value; throw after
 * `timeoutMs`. Exceptions thrown by the predicate count as "not yet" (the last one becomes the
 * `cause` of the timeout error).
 *
 * @typeParam T The predicate's result type.
 * @param predicate Condition to poll (may be async).
 * @param timeoutMs Give up after this many milliseconds.
 * @param options Poll interval and error text.
 * @returns The first truthy result.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs: number,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastError: unknown;
  while (true) {
    try {
      const result = await predicate();
      if (result) return result as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms${options.message ? `: ${options.message}` : ""}`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------------------------
// Kinesis
// ---------------------------------------------------------------------------------------------

/** One shard, as returned by {@linkcode listShards}. */
export interface ShardInfo {
  /** e.g. `shardId-000000000000`. */
  shardId: string;
  /** Parent shard (split or merge), if any. */
  parentShardId?: string;
  /** Second parent (merge only), if any. */
  adjacentParentShardId?: string;
  /** First hash key of the shard's range (decimal string). */
  startingHashKey: string;
  /** Last hash key of the shard's range (decimal string). */
  endingHashKey: string;
  /** First sequence number of the shard. */
  startingSequenceNumber: string;
  /** Last sequence number; present only once the shard is closed. */
  endingSequenceNumber?: string;
}

/** A record for {@linkcode putRecords}. */
export interface PutRecordInput {
  /** Payload; a string is sent as its UTF-8 bytes. */
  data: Uint8Array | string;
  /** Partition key. */
  partitionKey: string;
  /** Explicit hash key (decimal string) to pick the shard. */
  explicitHashKey?: string;
}

/** Where a record landed, as returned by {@linkcode putRecords} (same order as the input). */
export interface PutRecordResult {
  /** Shard that stored the record. */
  shardId: string;
  /** Sequence number assigned by Kinesis (decimal string). */
  sequenceNumber: string;
}

/**
 * Create a provisioned stream and wait until it is `ACTIVE`.
 *
 * @param endpoint Kinesis endpoint.
 * @param name Stream name.
 * @param shardCount Number of shards.
 * @returns A promise that resolves once the stream is active.
 */
export async function createStream(
  endpoint: string,
  name: string,
  shardCount: number,
): Promise<void> {
  await awsCall(endpoint, "kinesis", "CreateStream", { StreamName: name, ShardCount: shardCount });
  await waitForStreamActive(endpoint, name);
}

/**
 * Wait until a stream's status is `ACTIVE` (after create, split, merge).
 *
 * @param endpoint Kinesis endpoint.
 * @param name Stream name.
 * @param timeoutMs Give up after this long. @default {30000}
 * @returns A promise that resolves once the stream is active.
 */
export async function waitForStreamActive(
  endpoint: string,
  name: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () => {
      const response = await awsCall(endpoint, "kinesis", "DescribeStreamSummary", {
        StreamName: name,
      });
      return str(obj(response.StreamDescriptionSummary).StreamStatus) === "ACTIVE";
    },
    timeoutMs,
    { intervalMs: 50, message: `stream "${name}" did not become ACTIVE` },
  );
}

/**
 * List every shard of a stream (open and closed), following `NextToken`.
 *
 * @param endpoint Kinesis endpoint.
 * @param name Stream name.
 * @returns The shards in the order Kinesis returns them.
 */
export async function listShards(endpoint: string, name: string): Promise<ShardInfo[]> {
  const shards: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    const request: JsonObject = nextToken === undefined
      ? { StreamName: name, MaxResults: 1000 }
      : { NextToken: nextToken, MaxResults: 1000 };
    const response = await awsCall(endpoint, "kinesis", "ListShards", request);
    for (const item of arr(response.Shards)) {
      const shard = obj(item);
      const hashRange = obj(shard.HashKeyRange);
      const sequenceRange = obj(shard.SequenceNumberRange);
      const info: ShardInfo = {
        shardId: str(shard.ShardId) ?? "",
        startingHashKey: str(hashRange.StartingHashKey) ?? "",
        endingHashKey: str(hashRange.EndingHashKey) ?? "",
        startingSequenceNumber: str(sequenceRange.StartingSequenceNumber) ?? "",
      };
      const parent = str(shard.ParentShardId);
      if (parent !== undefined) info.parentShardId = parent;
      const adjacent = str(shard.AdjacentParentShardId);
      if (adjacent !== undefined) info.adjacentParentShardId = adjacent;
      const ending = str(sequenceRange.EndingSequenceNumber);
      if (ending !== undefined) info.endingSequenceNumber = ending;
      shards.push(info);
    }
    nextToken = str(response.NextToken);
  } while (nextToken !== undefined);
  return shards;
}

function toBase64(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Put records with `PutRecords` (in batches of 500), retrying entries that failed (e.g.
 * throughput exceeded) with a short back-off.
 *
 * @param endpoint Kinesis endpoint.
 * @param name Stream name.
 * @param records Records to write.
 * @returns Shard id and sequence number of each record, in input order.
 */
export async function putRecords(
  endpoint: string,
  name: string,
  records: readonly PutRecordInput[],
): Promise<PutRecordResult[]> {
  const results: (PutRecordResult | undefined)[] = new Array(records.length);
  for (let start = 0; start < records.length; start += 500) {
    let pending = records.slice(start, start + 500).map((_, i) => start + i);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= 10) {
        throw new Error(`PutRecords: ${pending.length} record(s) still failing after 10 attempts`);
      }
      if (attempt > 0) await sleep(Math.min(1_000, 50 * 2 ** attempt));
      const entries: JsonObject[] = pending.map((index) => {
        const record = records[index] as PutRecordInput;
        const entry: JsonObject = {
          Data: toBase64(record.data),
          PartitionKey: record.partitionKey,
        };
        if (record.explicitHashKey !== undefined) entry.ExplicitHashKey = record.explicitHashKey;
        return entry;
      });
      const response = await awsCall(endpoint, "kinesis", "PutRecords", {
        StreamName: name,
        Records: entries,
      });
      const answered = arr(response.Records);
      const failed: number[] = [];
      pending.forEach((index, i) => {
        const entry = obj(answered[i]);
        const shardId = str(entry.ShardId);
        const sequenceNumber = str(entry.SequenceNumber);
        if (str(entry.ErrorCode) === undefined && shardId !== undefined && sequenceNumber) {
          results[index] = { shardId, sequenceNumber };
        } else {
          failed.push(index);
        }
      });
      pending = failed;
    }
  }
  return results as PutRecordResult[];
}

/**
 * Split a shard in two and wait until the stream is `ACTIVE` again.
 *
 * @param endpoint Kinesis endpoint.
 * @param name Stream name.
 * @param shardId Shard to split (must be open).
 * @param newStartingHashKey First hash key of the upper child (decimal string). @default {the middle of the shard's range}
 * @returns The two child shards (lower range first).
 */
export async function splitShard(
  endpoint: string,
  name: string,
  shardId: string,
  newStartingHashKey?: string,
): Promise<ShardInfo[]> {
  const before = await listShards(endpoint, name);
  const parent = before.find((shard) => shard.shardId === shardId);
  if (parent === undefined) throw new RangeError(`Unknown shard "${shardId}" in "${name}"`);
  const start = BigInt(parent.startingHashKey);
  const end = BigInt(parent.endingHashKey);
  const split = newStartingHashKey ?? String(start + (end - start + 1n) / 2n);
  await awsCall(endpoint, "kinesis", "SplitShard", {
    StreamName: name,
    ShardToSplit: shardId,
    NewStartingHashKey: split,
  });
  await waitForStreamActive(endpoint, name);
  const after = await listShards(endpoint, name);
  return after
    .filter((shard) => shard.parentShardId === shardId && shard.adjacentParentShardId === undefined)
    .sort((a, b) => (BigInt(a.startingHashKey) < BigInt(b.startingHashKey) ? -1 : 1));
}

/**
 * The ARN of a stream (from `DescribeStreamSummary`).
 *
 * @param endpoint Kinesis endpoint.
 * @param name Stream name.
 * @returns The stream's ARN.
 */
export async function streamArn(endpoint: string, name: string): Promise<string> {
  const response = await awsCall(endpoint, "kinesis", "DescribeStreamSummary", {
    StreamName: name,
  });
  const arn = str(obj(response.StreamDescriptionSummary).StreamARN);
  if (arn === undefined) throw new Error(`DescribeStreamSummary of "${name}" gave no StreamARN`);
  return arn;
}

/** An enhanced fan-out consumer of a stream, as returned by {@linkcode listStreamConsumers}. */
export interface StreamConsumer {
  /** Its name (KCL: the application name, unless `consumerName` is set). */
  consumerName: string;
  /** Its ARN. */
  consumerArn: string;
  /** `CREATING`, `ACTIVE` or `DELETING`. */
  consumerStatus: string;
  /** When it was registered (epoch seconds, as the service sends it). */
  creationTimestamp?: number;
}

function toConsumer(value: Json | undefined): StreamConsumer {
  const consumer = obj(value);
  const result: StreamConsumer = {
    consumerName: str(consumer.ConsumerName) ?? "",
    consumerArn: str(consumer.ConsumerARN) ?? "",
    consumerStatus: str(consumer.ConsumerStatus) ?? "",
  };
  const created = consumer.ConsumerCreationTimestamp;
  if (typeof created === "number") result.creationTimestamp = created;
  return result;
}

/**
 * List the enhanced fan-out consumers registered on a stream (`ListStreamConsumers`, following
 * `NextToken`).
 *
 * @param endpoint Kinesis endpoint.
 * @param arn The stream's ARN (see {@linkcode streamArn}).
 * @returns The consumers.
 */
export async function listStreamConsumers(
  endpoint: string,
  arn: string,
): Promise<StreamConsumer[]> {
  const consumers: StreamConsumer[] = [];
  let nextToken: string | undefined;
  do {
    const request: JsonObject = { StreamARN: arn };
    if (nextToken !== undefined) request.NextToken = nextToken;
    const response = await awsCall(endpoint, "kinesis", "ListStreamConsumers", request);
    for (const item of arr(response.Consumers)) consumers.push(toConsumer(item));
    nextToken = str(response.NextToken);
  } while (nextToken !== undefined);
  return consumers;
}

/**
 * Describe one enhanced fan-out consumer by stream ARN and name (`DescribeStreamConsumer`).
 *
 * @param endpoint Kinesis endpoint.
 * @param arn The stream's ARN.
 * @param consumerName The consumer's name.
 * @returns The consumer.
 */
export async function describeStreamConsumer(
  endpoint: string,
  arn: string,
  consumerName: string,
): Promise<StreamConsumer> {
  const response = await awsCall(endpoint, "kinesis", "DescribeStreamConsumer", {
    StreamARN: arn,
    ConsumerName: consumerName,
  });
  return toConsumer(response.ConsumerDescription);
}

/**
 * Delete a stream (no-op if it does not exist) and wait until it is gone.
 *
 * @param endpoint Kinesis endpoint.
 * @param name Stream name.
 * @returns A promise that resolves once the stream no longer exists.
 */
export async function deleteStream(endpoint: string, name: string): Promise<void> {
  try {
    await awsCall(endpoint, "kinesis", "DeleteStream", {
      StreamName: name,
      EnforceConsumerDeletion: true,
    });
  } catch (error) {
    if (error instanceof AwsServiceError && error.code === "ResourceNotFoundException") return;
    throw error;
  }
  await waitFor(
    async () => {
      try {
        await awsCall(endpoint, "kinesis", "DescribeStreamSummary", { StreamName: name });
        return false;
      } catch (error) {
        if (error instanceof AwsServiceError && error.code === "ResourceNotFoundException") {
          return true;
        }
        throw error;
      }
    },
    30_000,
    { intervalMs: 50, message: `stream "${name}" was not deleted` },
  );
}

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

/**
 * Create a table (`CreateTable`, the DynamoDB API's JSON) and wait until it and its indexes are
 * `ACTIVE`. Does nothing if the table already exists.
 *
 * @param endpoint DynamoDB endpoint.
 * @param input The `CreateTable` request, e.g. from `createTableInput` of `src/launcher/tables.ts`.
 * @returns A promise that resolves once the table is active.
 */
export async function createTable(endpoint: string, input: Record<string, unknown>): Promise<void> {
  const tableName = String(input.TableName);
  try {
    await awsCall(endpoint, "dynamodb", "CreateTable", input as JsonObject);
  } catch (error) {
    if (!(error instanceof AwsServiceError && error.code === "ResourceInUseException")) throw error;
  }
  await waitFor(
    async () => {
      const table = obj(
        (await awsCall(endpoint, "dynamodb", "DescribeTable", { TableName: tableName })).Table,
      );
      const indexes = arr(table.GlobalSecondaryIndexes).map(obj);
      return str(table.TableStatus) === "ACTIVE" &&
        indexes.every((index) => str(index.IndexStatus) === "ACTIVE");
    },
    30_000,
    { intervalMs: 50, message: `table "${tableName}" did not become ACTIVE` },
  );
}

/**
 * A table's description (`DescribeTable`'s `Table`), or `undefined` if there is no such table.
 *
 * @param endpoint DynamoDB endpoint.
 * @param tableName The table.
 * @returns The description.
 */
export async function describeTable(
  endpoint: string,
  tableName: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return obj(
      (await awsCall(endpoint, "dynamodb", "DescribeTable", { TableName: tableName })).Table,
    );
  } catch (error) {
    if (error instanceof AwsServiceError && error.code === "ResourceNotFoundException") {
      return undefined;
    }
    throw error;
  }
}

/**
 * Create the KCL lease table before the daemon starts, exactly as `provision` does (on demand):
 * hash key `leaseKey` (S) and the index `LeaseOwnerToLeaseKeyIndex` (hash `leaseOwner`, range
 * `leaseKey`, KEYS_ONLY), from the same definition (`src/launcher/tables.ts`).
 *
 * KCL 3.x adds that index with UpdateTable when it is missing, which dynalite cannot do; when table
 * and index exist, KCL skips both calls. The daemon still creates its two other tables itself.
 * Waits until table and index are `ACTIVE`. Does nothing if the table already exists.
 *
 * @param endpoint DynamoDB endpoint.
 * @param tableName Lease table name (= the daemon's `applicationName`, unless `tableName` is set).
 * @returns A promise that resolves once the table is active.
 */
export async function createLeaseTable(endpoint: string, tableName: string): Promise<void> {
  const [lease] = tableSpecs(new Map([["applicationName", tableName]]));
  await createTable(
    endpoint,
    createTableInput(lease!, {
      billing: { mode: "PAY_PER_REQUEST" },
      tags: [],
      pointInTimeRecovery: false,
      deletionProtection: false,
    }),
  );
}

/** Options of {@linkcode seedLeases}. */
export interface SeedLeasesOptions {
  /** Initial checkpoint of every lease: a sentinel or a sequence number. @default {"TRIM_HORIZON"} */
  checkpoint?: string;
}

/**
 * Write one unowned lease per shard into an (empty) lease table, exactly as KCL's initial shard
 * sync would for a fresh stream: `leaseKey`, `leaseCounter` 0, `checkpoint` (TRIM_HORIZON by
 * default), `checkpointSubSequenceNumber` 0, `ownerSwitchesSinceCheckpoint` 0, the hash key range
 * and `parentShardId` if the shard has parents. Existing leases are left alone.
 *
 * Why: a KCL 3.x worker that finds the lease table empty waits a random 1–30 s (hard-coded in
 * `Scheduler.shouldInitiateLeaseSync`, not configurable) before it syncs shards, to let other
 * workers go first. With seeded leases it starts processing within a few seconds. Only use it for
 * streams whose shards are all open (no resharding history); KCL creates leases for closed shards
 * differently.
 *
 * @param endpoint DynamoDB endpoint.
 * @param tableName Lease table name (created with {@linkcode createLeaseTable}).
 * @param shards Shards to create leases for (e.g. from {@linkcode listShards}).
 * @param options Initial checkpoint.
 * @returns A promise that resolves once every lease exists.
 */
export async function seedLeases(
  endpoint: string,
  tableName: string,
  shards: readonly ShardInfo[],
  options: SeedLeasesOptions = {},
): Promise<void> {
  const checkpoint = options.checkpoint ?? "TRIM_HORIZON";
  for (const shard of shards) {
    const item: JsonObject = {
      leaseKey: { S: shard.shardId },
      leaseCounter: { N: "0" },
      ownerSwitchesSinceCheckpoint: { N: "0" },
      checkpoint: { S: checkpoint },
      checkpointSubSequenceNumber: { N: "0" },
      startingHashKey: { S: shard.startingHashKey },
      endingHashKey: { S: shard.endingHashKey },
    };
    const parents = [shard.parentShardId, shard.adjacentParentShardId].filter(
      (id): id is string => id !== undefined,
    );
    if (parents.length > 0) item.parentShardId = { SS: parents };
    try {
      await awsCall(endpoint, "dynamodb", "PutItem", {
        TableName: tableName,
        Item: item,
        ConditionExpression: "attribute_not_exists(leaseKey)",
      });
    } catch (error) {
      if (!(error instanceof AwsServiceError && error.code === "ConditionalCheckFailedException")) {
        throw error;
      }
    }
  }
}

/** A DynamoDB attribute value in wire form, e.g. `{ "S": "x" }`, `{ "N": "1" }`, `{ "SS": [...] }`. */
export type AttributeValue = { readonly [type: string]: unknown };

/** One KCL lease, as returned by {@linkcode scanLeases}. Numbers that are sequence numbers stay strings. */
export interface LeaseItem {
  /** Lease key: the shard id (single-stream mode). */
  leaseKey: string;
  /** Checkpoint: a sequence number or a sentinel (`TRIM_HORIZON`, `LATEST`, `SHARD_END`, ...). */
  checkpoint?: string;
  /** Sub-sequence number of the checkpoint. */
  checkpointSubSequenceNumber?: number;
  /** Worker id holding the lease. */
  leaseOwner?: string;
  /** Lease counter (incremented on every renewal). */
  leaseCounter?: number;
  /** Owner changes since the last checkpoint. */
  ownerSwitchesSinceCheckpoint?: number;
  /** Parent shard ids (after a split/merge). */
  parentShardIds?: string[];
  /** Child shard ids (set when the shard has ended). */
  childShardIds?: string[];
  /** Pending (prepared) checkpoint, if any. */
  pendingCheckpoint?: string;
  /** First hash key of the shard. */
  startingHashKey?: string;
  /** Last hash key of the shard. */
  endingHashKey?: string;
  /** Worker that must checkpoint before handing the lease over (KCL 3.x graceful hand-off). */
  checkpointOwner?: string;
  /** The item as stored, for attributes not mapped above. */
  raw: Record<string, AttributeValue>;
}

function attrString(value: unknown): string | undefined {
  const record = value as Record<string, unknown> | undefined;
  return typeof record?.S === "string" ? record.S : undefined;
}

function attrNumber(value: unknown): number | undefined {
  const record = value as Record<string, unknown> | undefined;
  return typeof record?.N === "string" ? Number(record.N) : undefined;
}

function attrStringSet(value: unknown): string[] | undefined {
  const record = value as Record<string, unknown> | undefined;
  return Array.isArray(record?.SS) ? record.SS.filter((s) => typeof s === "string") : undefined;
}

/**
 * Read every item of a lease table (consistent scan, all pages) and map the KCL attributes.
 * Items that are not leases (no `leaseKey`) are skipped.
 *
 * @param endpoint DynamoDB endpoint.
 * @param tableName Lease table name.
 * @returns The leases, sorted by `leaseKey`.
 */
export async function scanLeases(endpoint: string, tableName: string): Promise<LeaseItem[]> {
  const leases: LeaseItem[] = [];
  let startKey: Json | undefined;
  do {
    const request: JsonObject = { TableName: tableName, ConsistentRead: true };
    if (startKey !== undefined) request.ExclusiveStartKey = startKey;
    const response = await awsCall(endpoint, "dynamodb", "Scan", request);
    for (const item of arr(response.Items)) {
      const raw = obj(item) as Record<string, AttributeValue>;
      const leaseKey = attrString(raw.leaseKey);
      if (leaseKey === undefined) continue;
      const lease: LeaseItem = { leaseKey, raw };
      const fields = {
        checkpoint: attrString(raw.checkpoint),
        checkpointSubSequenceNumber: attrNumber(raw.checkpointSubSequenceNumber),
        leaseOwner: attrString(raw.leaseOwner),
        leaseCounter: attrNumber(raw.leaseCounter),
        ownerSwitchesSinceCheckpoint: attrNumber(raw.ownerSwitchesSinceCheckpoint),
        parentShardIds: attrStringSet(raw.parentShardId),
        childShardIds: attrStringSet(raw.childShardIds),
        pendingCheckpoint: attrString(raw.pendingCheckpoint),
        startingHashKey: attrString(raw.startingHashKey),
        endingHashKey: attrString(raw.endingHashKey),
        checkpointOwner: attrString(raw.checkpointOwner),
      };
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined) (lease as unknown as Record<string, unknown>)[key] = value;
      }
      leases.push(lease);
    }
    startKey = response.LastEvaluatedKey ?? undefined;
  } while (startKey !== undefined && startKey !== null);
  return leases.sort((a, b) => (a.leaseKey < b.leaseKey ? -1 : a.leaseKey > b.leaseKey ? 1 : 0));
}

/**
 * List the table names of a DynamoDB endpoint (to see which tables KCL created).
 *
 * @param endpoint DynamoDB endpoint.
 * @returns All table names.
 */
export async function listTables(endpoint: string): Promise<string[]> {
  const names: string[] = [];
  let start: string | undefined;
  do {
    const request: JsonObject = start === undefined ? {} : { ExclusiveStartTableName: start };
    const response = await awsCall(endpoint, "dynamodb", "ListTables", request);
    for (const name of arr(response.TableNames)) if (typeof name === "string") names.push(name);
    start = str(response.LastEvaluatedTableName);
  } while (start !== undefined);
  return names;
}
