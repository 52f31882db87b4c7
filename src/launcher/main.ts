/**
 * The launcher's commands: `launch` starts the daemon, which runs this same
 * program as its child; `properties` prints the effective configuration;
 * `doctor` checks everything the daemon needs; `provision` creates the
 * tables (`provision.ts`, loaded only for it).
 *
 * @module
 */

import type { ProgramInfo } from "../runtime/start.ts";
import {
  type EffectiveConfig,
  ENV_KEYS,
  LAUNCHER_ENV,
  maskValue,
  resolveConfig,
} from "./config.ts";
import {
  checkConfig,
  checkCredentials,
  checkEndpoint,
  checkJar,
  checkJava,
  type CheckResult,
  endpoints,
} from "./doctor.ts";
import {
  findJar,
  findTemplate,
  hostname,
  jarMissingHelp,
  javaCommand,
  selfCommand,
  templateCandidates,
} from "./paths.ts";
import { renderProperties } from "./properties.ts";
import { runDaemon } from "./run_daemon.ts";
import { EMPTY_BATCHES_ENV, metricsConfigFromEnv } from "../metrics/config.ts";
import type { LauncherMetrics } from "../metrics/per_process.ts";
import { hubFromEnv, type HubPlan, planHub, runWithHub } from "./hub.ts";
import { writeAllSync } from "../transport/write_all.ts";
import { settingProblems } from "../runtime/settings.ts";

function out(text: string): void {
  writeAllSync(Deno.stdout, text);
}

function err(text: string): void {
  writeAllSync(Deno.stderr, text);
}

/** The launcher's usage text. */
export function launcherUsage(info: ProgramInfo): string {
  const n = info.name;
  return `Usage:
  ${n} launch [--hub] [--config=FILE]... [--<key>=<value>]...
  ${n} properties [--config=FILE]... [--<key>=<value>]...
  ${n} doctor [--config=FILE]... [--<key>=<value>]...
  ${n} provision [options] [--config=FILE]... [--<key>=<value>]...  (provision --help)

launch starts the KCL MultiLangDaemon (java -jar sylvite.jar), which runs
${n} once per shard it leases. SIGTERM, SIGINT and SIGHUP start the daemon's
graceful shutdown (the launcher sends it SIGTERM); a third signal kills it.
Exit code: 0 after a shutdown it was asked for, else the daemon's, and 1 if
the daemon stopped by itself with 0 (it never does when all is well).

--hub (or KCLTS_HUB=1): hub mode. ${n} runs once as a hub serving every
shard, and the daemon runs a relay per shard (socat, which must be installed)
instead of a whole process. The hub and the daemon stop together; if the hub
dies, the daemon is stopped and the exit code is non-zero. A binary for hub
mode is built with "deno task compile --hub" (the hub's V8 flags).

Configuration, lowest precedence first:
  1. properties/kcl.properties next to the program (or KCLTS_PROPERTIES)
  2. each --config=FILE, in order (sylvite style)
  3. environment: ${Object.keys(ENV_KEYS).join(", ")}
     (INITIAL_POSITION: TRIM_HORIZON, LATEST, or a date for AT_TIMESTAMP)
  4. environment KCL_<KEY_IN_UPPER_SNAKE_CASE>, e.g. KCL_METRICS_LEVEL=NONE
  5. --<key>=<value> arguments, e.g. --failoverTimeMillis=20000
executableName (this program), workerId (the host name) and
shutdownGraceMillis (KCLTS_STOP_TIMEOUT_SECONDS, default 10, minus 2 s) are
set unless given. Unknown keys, control characters and values the daemon
would ignore, refuse or misread are errors (the README lists every key).

Launcher environment: ${LAUNCHER_ENV.join(", ")}
`;
}

/** The launcher's arguments. */
export interface Parsed {
  configs: string[];
  overrides: [string, string][];
  help: boolean;
  hub: boolean;
}

/** Parses the launcher's arguments (`--config=FILE`, `--key=value`, `--hub`, `--help`). */
export function parse(args: string[]): Parsed {
  const parsed: Parsed = { configs: [], overrides: [], help: false, hub: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") parsed.help = true;
    else if (arg === "--hub") parsed.hub = true;
    else if (arg === "--config") {
      const file = args[++i];
      if (!file) throw new Error("--config needs a file");
      parsed.configs.push(file);
    } else if (arg.startsWith("--config=")) parsed.configs.push(arg.slice(9));
    else if (/^--[^=]+=/.test(arg)) {
      const at = arg.indexOf("=");
      parsed.overrides.push([arg.slice(2, at), arg.slice(at + 1)]);
    } else {
      throw new Error(`Unexpected argument "${arg}" (use --<key>=<value>)`);
    }
  }
  return parsed;
}

/** Builds the effective configuration from the layers (`launch`, `provision`, ...). */
export async function effectiveConfig(
  parsed: Parsed,
  executableName = selfCommand(),
): Promise<EffectiveConfig> {
  const env = Deno.env.toObject();
  const template = findTemplate(env);
  if (template === undefined) {
    throw new Error(
      `no properties template (looked at ${templateCandidates().join(", ")}): ` +
        "put kclts's properties/kcl.properties there (a project made by kclts's init has it) " +
        "or set KCLTS_PROPERTIES to one; nothing was started",
    );
  }
  const paths = [template, ...parsed.configs];
  const files = [];
  for (const path of paths) {
    try {
      files.push({ path, text: await Deno.readTextFile(path) });
    } catch (error) {
      throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
    }
  }
  return resolveConfig({
    files,
    env,
    overrides: parsed.overrides,
    executableName,
    hostname: hostname(),
    childErrors: settingProblems(),
  });
}

function report(config: EffectiveConfig, name: string): boolean {
  for (const warning of config.warnings) err(`${name}: warning: ${warning}\n`);
  for (const error of config.errors) err(`${name}: error: ${error}\n`);
  if (config.errors.length > 0) {
    err(`${name}: the configuration has ${config.errors.length} error(s); nothing was started\n`);
    return false;
  }
  return true;
}

function render(config: EffectiveConfig, masked: boolean): string {
  const entries = [...config.properties].map(([key, value]) =>
    [key, masked ? maskValue(key, value) : value] as const
  );
  const comments = new Map([...config.sources].map(([key, source]) => [key, `from ${source}`]));
  return renderProperties(entries, masked ? comments : new Map());
}

/**
 * Runs `launch`, `properties`, `doctor` or `provision`.
 *
 * @param command The command.
 * @param args Its arguments.
 * @param info The program's name and version.
 * @returns The exit code.
 */
export async function launcherMain(
  command: "launch" | "properties" | "doctor" | "provision",
  args: string[],
  info: ProgramInfo,
): Promise<number> {
  if (command === "provision") {
    const { provisionMain } = await import("./provision.ts");
    return await provisionMain(args, info, (rest) => {
      const parsed = parse(rest);
      if (parsed.hub) throw new Error("--hub is an option of launch, not of provision");
      return effectiveConfig(parsed);
    });
  }
  let parsed: Parsed;
  let config: EffectiveConfig;
  let plan: HubPlan | undefined;
  try {
    parsed = parse(args);
    if (parsed.help) {
      out(launcherUsage(info));
      return 0;
    }
    if (parsed.hub || hubFromEnv(Deno.env.get("KCLTS_HUB"))) {
      plan = await planHub(Deno.env.toObject());
    }
    config = await effectiveConfig(parsed, plan?.executableName);
  } catch (error) {
    if (plan) await Deno.remove(plan.dir, { recursive: true }).catch(() => {});
    err(`${info.name}: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    return await launchWith(command, config, info, plan);
  } finally {
    // (runWithHub removes it too, when the launch went that far)
    if (plan) await Deno.remove(plan.dir, { recursive: true }).catch(() => {});
  }
}

async function launchWith(
  command: "launch" | "properties" | "doctor",
  config: EffectiveConfig,
  info: ProgramInfo,
  plan: HubPlan | undefined,
): Promise<number> {
  const env = Deno.env.toObject();
  if (command === "properties") {
    for (const warning of config.warnings) err(`${info.name}: warning: ${warning}\n`);
    for (const error of config.errors) err(`${info.name}: error: ${error}\n`);
    out(render(config, true));
    return config.errors.length > 0 ? 2 : 0;
  }
  if (command === "doctor") return await doctor(config, env);

  if (!report(config, info.name)) return 2;
  const { path: jar, searched } = findJar(env);
  if (!jar) {
    err(`${info.name}: error: ${jarMissingHelp(searched)}; nothing was started\n`);
    return 2;
  }
  const java = javaCommand(env);
  const p = config.properties;
  err(
    `${info.name}: starting the KCL daemon for stream ${
      p.get("streamArn") ?? p.get("streamName")
    }` +
      ` (application ${p.get("applicationName")}, region ${p.get("regionName")}, worker ${
        p.get("workerId") ?? p.get("workerIdentifier")
      })\n`,
  );
  const log = (line: string) => err(`${info.name}: ${line}\n`);
  const daemon = { java, javaOptions: javaOptions(env), jar, properties: render(config, false) };
  const cannotStart = (error: unknown) => {
    err(
      `${info.name}: error: cannot start "${java}": ${(error as Error).message}. ` +
        "Install a JRE 17+ or set JAVA_HOME; nothing was started\n",
    );
    return 2;
  };
  const emptyBatches =
    p.get("callProcessRecordsEvenForEmptyRecordList")?.trim().toLowerCase() === "true";
  if (plan) {
    // Hub mode: the hub serves /metrics and /healthz itself, from its live sessions.
    try {
      return await runWithHub({
        plan,
        self: selfCommand("hub").split(" "),
        daemon,
        name: info.name,
        log,
        hubEnv: { [EMPTY_BATCHES_ENV]: String(emptyBatches) },
      });
    } catch (error) {
      return cannotStart(error);
    }
  }
  let metrics: LauncherMetrics | null;
  try {
    metrics = await startMetrics(env, emptyBatches, info.name);
  } catch (error) {
    err(`${info.name}: error: ${(error as Error).message}; nothing was started\n`);
    return 2;
  }
  try {
    return await runDaemon(
      { ...daemon, ...(metrics ? { env: metrics.env } : {}) },
      () => metrics?.daemonStarted(),
      log,
    );
  } catch (error) {
    return cannotStart(error);
  } finally {
    metrics?.daemonExited();
    await metrics?.close();
  }
}

/** The daemon's extra JVM options: `KCLTS_JAVA_OPTS`, split at spaces. */
function javaOptions(env: Record<string, string>): string[] {
  return (env.KCLTS_JAVA_OPTS ?? "").split(/\s+/).filter((o) => o !== "");
}

/** The metrics listener (`KCLTS_HTTP_PORT`), or `null` when it is off; loaded only when on. */
async function startMetrics(
  env: Record<string, string>,
  emptyBatches: boolean,
  name: string,
): Promise<LauncherMetrics | null> {
  const config = metricsConfigFromEnv(env);
  if (!config) return null;
  const { startLauncherMetrics } = await import("../metrics/per_process.ts");
  const metrics = await startLauncherMetrics(
    config,
    emptyBatches,
    (message) => err(`${name}: warning: ${message}\n`),
  );
  err(
    `${name}: serving /metrics and /healthz on http://${config.host}:${metrics.server.port}\n`,
  );
  return metrics;
}

async function doctor(config: EffectiveConfig, env: Record<string, string>): Promise<number> {
  const { path, searched } = findJar(env);
  const java = javaCommand(env);
  const results: CheckResult[] = [
    await checkJava(java),
    await checkJar(path, searched),
    ...checkConfig(config),
    ...await checkCredentials({
      java,
      javaOptions: javaOptions(env),
      jar: path,
      properties: render(config, false),
      provider: config.properties.get("AwsCredentialsProvider"),
      env,
    }),
  ];
  for (const [name, url] of endpoints(config.properties)) {
    results.push(await checkEndpoint(name, url));
  }
  for (const result of results) {
    out(`${result.status.toUpperCase().padEnd(4)}  ${result.name.padEnd(11)}  ${result.detail}\n`);
  }
  const failed = results.filter((r) => r.status === "fail").length;
  out(failed === 0 ? "Everything the daemon needs is in place.\n" : `${failed} check(s) failed.\n`);
  return failed === 0 ? 0 : 1;
}
