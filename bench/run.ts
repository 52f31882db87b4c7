/**
 * Whole-process benchmark: drives the kclts processor (batch API and per-record API), the official
 * Node.js `aws-kcl` client (baseline) and a hand-written raw Deno processor (lower bound) through a
 * fake MultiLangDaemon over real pipes, and prints records/s, payload MB/s, peak RSS and start-up
 * time.
 *
 * ```sh
 * deno run -A bench/run.ts [--scenario all|small|large|hub|none] [--runs 3]
 *   [--startup-runs 10] [--only kclts,kclts-record,aws-kcl,raw] [--kclts-cmd "deno run ... x.ts"]
 *   [--hub-leases 1,8,32] [--json]
 * ```
 *
 * `-A` is needed: Deno (2.x) only lets a program with all permissions read `/proc`, where the
 * child's `VmHWM` and CPU time come from.
 *
 * Exits with code 1 if a processor misbehaves (protocol violation, crash, hang, non-zero exit) or
 * the baseline cannot be installed; a missed performance target is only reported.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  HarnessError,
  type PreparedScenario,
  prepareScenario,
  type RunResult,
  runScenario,
  type Scenario,
} from "./harness.ts";
import { hubBenchmarks, type HubFigures, hubReport } from "./hub.ts";
import { PERMISSION_FLAGS } from "../src/runtime/permissions.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const BASELINE_DIR = `${ROOT}/bench/baseline`;
const AWS_KCL_VERSION = "2.3.2";
/** Removed from the children's environment (see `runOptions`). */
const UNSET_ENV = ["NODE_EXTRA_CA_CERTS"];
// The same runtime flags as the compiled binary (deno.json's compile task).
const DEFAULT_KCLTS_CMD = `deno run ${PERMISSION_FLAGS.join(" ")} bench/kclts_processor.ts`;
const KCLTS_RECORD_CMD = ["deno", "run", ...PERMISSION_FLAGS, "bench/kclts_record_processor.ts"];

/** The workloads. Payload sizes are exact decoded byte counts of one JSON object. */
const SCENARIOS: readonly Scenario[] = [
  { name: "small", batches: 200, recordsPerBatch: 500, payloadBytes: 200 },
  { name: "large", batches: 50, recordsPerBatch: 100, payloadBytes: 50 * 1024 },
];
const SCENARIO_LABELS: Record<string, string> = { small: "(i)", large: "(ii)" };

/** Targets for kclts. */
const TARGET_RATIO = 1.5;
const TARGET_RSS_MIB = 50;
const TARGET_STARTUP_MS = 50;
/** The per-record API within 10% of the batch API's records/s. */
const TARGET_RECORD_API_RATIO = 0.9;

type ProcessorId = "kclts" | "kclts-record" | "aws-kcl" | "raw";
const PROCESSOR_IDS = "kclts, kclts-record, aws-kcl, raw";

interface Processor {
  id: ProcessorId;
  label: string;
  command: string[];
}

interface Summary {
  runs: RunResult[];
  recordsPerSecond: number;
  payloadMBps: number;
  peakRssMiB: number;
  maxPeakRssMiB: number;
  rssAnonMiB: number;
  checksumVerified: boolean;
  cpuSeconds: number;
  seconds: number;
}

interface StartupSummary {
  samplesMs: number[];
  medianMs: number;
  p90Ms: number;
  idleRssMiB: number;
}

interface Target {
  name: string;
  value: number | null;
  threshold: string;
  pass: boolean | null;
}

// deno-lint-ignore no-console -- human-facing report (or the --json document) goes to stdout
const out = (text: string): void => console.log(text);
// deno-lint-ignore no-console -- progress and errors go to stderr so stdout stays clean
const progress = (text: string): void => console.error(text);

function usage(): string {
  return [
    "Usage: deno run -A bench/run.ts [options]",
    "",
    "  --scenario <s>      all (default), small = (i), large = (ii), hub (hub mode's workloads),",
    "                      or none (start-up only); all includes hub",
    "  --hub-leases <list> lease counts of the hub memory workload (1,8,32)",
    "  --runs <n>          throughput runs per scenario and processor; median reported (3)",
    "  --startup-runs <n>  fresh spawns for the start-up figure, after 1 warm-up (10)",
    `  --only <list>       comma-separated subset of: ${PROCESSOR_IDS} (all)`,
    `  --kclts-cmd <cmd>   kclts processor command, split on spaces (${DEFAULT_KCLTS_CMD})`,
    "  --timeout <s>       kill a child and fail after this many seconds per run (300)",
    "  --json              print one JSON document instead of tables",
    "  -h, --help          show this help",
  ].join("\n");
}

/**
 * The values `--scenario` accepts, with the throughput scenarios each runs (`all` and `hub` also
 * run hub mode's workloads, `none` only start-up).
 */
export const SCENARIO_ALIASES: Readonly<Record<string, readonly string[]>> = {
  all: ["small", "large"],
  small: ["small"],
  i: ["small"],
  "1": ["small"],
  large: ["large"],
  ii: ["large"],
  "2": ["large"],
  none: [],
  hub: [],
};

/**
 * The throughput scenarios a `--scenario` value runs.
 *
 * @param value The option's value.
 * @returns The names of the {@linkcode SCENARIOS} to run.
 * @throws {RangeError} For a value not in {@linkcode SCENARIO_ALIASES}, listing those.
 */
export function scenarioNames(value: string): readonly string[] {
  const names = Object.hasOwn(SCENARIO_ALIASES, value) ? SCENARIO_ALIASES[value] : undefined;
  if (names === undefined) {
    throw new RangeError(
      `Invalid --scenario "${value}": expected one of ${Object.keys(SCENARIO_ALIASES).join(", ")}`,
    );
  }
  return names;
}

function positiveInt(name: string, text: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(
      `Invalid --${name} "${text}": expected an integer >= ${allowZero ? 0 : 1}`,
    );
  }
  return value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function commandOutput(program: string, args: string[], cwd = ROOT): Promise<string> {
  const result = await new Deno.Command(program, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  if (!result.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed (code ${result.code}):\n` +
        decoder.decode(result.stdout) + decoder.decode(result.stderr),
    );
  }
  return decoder.decode(result.stdout).trim();
}

/** Installs the baseline with `npm ci` when `node_modules/aws-kcl` is missing; checks the version. */
async function ensureBaseline(): Promise<void> {
  const manifest = `${BASELINE_DIR}/node_modules/aws-kcl/package.json`;
  let installed: string | null = null;
  try {
    installed = (JSON.parse(await Deno.readTextFile(manifest)) as { version?: string }).version ??
      null;
  } catch {
    installed = null;
  }
  if (installed !== AWS_KCL_VERSION) {
    progress(`Installing the aws-kcl ${AWS_KCL_VERSION} baseline (npm ci in bench/baseline) ...`);
    await commandOutput("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], BASELINE_DIR);
    installed = (JSON.parse(await Deno.readTextFile(manifest)) as { version?: string }).version ??
      null;
    if (installed !== AWS_KCL_VERSION) {
      throw new Error(`bench/baseline has aws-kcl ${installed}, expected ${AWS_KCL_VERSION}`);
    }
  }
}

async function machineInfo(): Promise<Record<string, string | number>> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const kernel = await Deno.readTextFile("/proc/sys/kernel/osrelease").catch(() => "?");
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const node = await commandOutput("node", ["--version"]).catch(() => "not found");
  return {
    nproc: navigator.hardwareConcurrency,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memoryGiB: Math.round((memKiB / 1024 / 1024) * 10) / 10,
    kernel: kernel.trim(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    node,
    awsKcl: AWS_KCL_VERSION,
  };
}

function summarise(runs: RunResult[]): Summary {
  return {
    runs,
    recordsPerSecond: median(runs.map((r) => r.recordsPerSecond)),
    payloadMBps: median(runs.map((r) => r.payloadMBps)),
    peakRssMiB: median(runs.map((r) => r.peakRssKiB / 1024)),
    maxPeakRssMiB: Math.max(...runs.map((r) => r.peakRssKiB / 1024)),
    rssAnonMiB: median(runs.map((r) => r.rssAnonKiB / 1024)),
    checksumVerified: runs.every((r) => r.checksumVerified),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    seconds: median(runs.map((r) => r.seconds)),
  };
}

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? "-"
    : value.toFixed(digits);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined || b === 0 ? null : a / b;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      scenario: { type: "string", default: "all" },
      runs: { type: "string", default: "3" },
      "startup-runs": { type: "string", default: "10" },
      only: { type: "string", default: "kclts,kclts-record,aws-kcl,raw" },
      "kclts-cmd": { type: "string", default: DEFAULT_KCLTS_CMD },
      timeout: { type: "string", default: "300" },
      json: { type: "boolean", default: false },
      "hub-leases": { type: "string", default: "1,8,32" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    out(usage());
    return 0;
  }
  try {
    Deno.readTextFileSync("/proc/self/status");
  } catch (error) {
    throw new Error(
      `Cannot read /proc (${String(error)}). Run with -A: Deno requires all permissions for /proc`,
    );
  }
  const runs = positiveInt("runs", values.runs);
  const startupRuns = positiveInt("startup-runs", values["startup-runs"], true);
  const timeoutMs = positiveInt("timeout", values.timeout) * 1000;
  const names = scenarioNames(values.scenario);
  const scenarios = SCENARIOS.filter((s) => names.includes(s.name));

  // The MultiLangDaemon splits executableName on runs of spaces (no shell); do the same.
  const kcltsCommand = values["kclts-cmd"].trim().split(/ +/);
  const allProcessors: Processor[] = [
    { id: "kclts", label: "kclts", command: kcltsCommand },
    { id: "kclts-record", label: "kclts per-record API", command: KCLTS_RECORD_CMD },
    {
      id: "aws-kcl",
      label: `aws-kcl ${AWS_KCL_VERSION} (Node)`,
      command: ["node", "bench/baseline/processor.js"],
    },
    {
      id: "raw",
      label: "raw Deno (lower bound)",
      command: ["deno", "run", "bench/raw_processor.ts"],
    },
  ];
  const wanted = values.only.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const id of wanted) {
    if (!allProcessors.some((p) => p.id === id)) {
      throw new RangeError(`Invalid --only entry "${id}": expected one of ${PROCESSOR_IDS}`);
    }
  }
  const processors = allProcessors.filter((p) => wanted.includes(p.id));

  const failures = new Map<ProcessorId, string>();
  if (processors.some((p) => p.id === "aws-kcl")) {
    try {
      await ensureBaseline();
    } catch (error) {
      failures.set("aws-kcl", `Cannot install the baseline: ${String(error)}`);
    }
  }
  const machine = await machineInfo();
  const runOptions = {
    cwd: ROOT,
    // Keep children quiet and deterministic: no Deno update check, no colour codes in STDERR.
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    // Node parses every certificate in NODE_EXTRA_CA_CERTS at start-up (~100 ms with a full
    // bundle); no processor here uses TLS, and a KCL host would not normally set it.
    unsetEnv: UNSET_ENV,
    timeoutMs,
  };
  const runHub = values.scenario === "all" || values.scenario === "hub";
  const leaseCounts = values["hub-leases"].split(",").map((n) => positiveInt("hub-leases", n));
  let hubFigures: HubFigures | null = null;
  const measureHub = async (): Promise<void> => {
    progress("hub mode workloads ...");
    try {
      hubFigures = await hubBenchmarks({ runs, startupRuns, run: runOptions, leaseCounts });
    } catch (error) {
      failures.set("kclts", `hub mode: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  if (values.scenario === "hub") {
    await measureHub();
    if (values.json) {
      out(
        JSON.stringify(
          { machine, hub: hubFigures, failures: Object.fromEntries(failures) },
          null,
          2,
        ),
      );
    } else if (hubFigures) out(hubReport(hubFigures).join("\n"));
    for (const [id, message] of failures) progress(`FAILED ${id}: ${message}`);
    return failures.size > 0 ? 1 : 0;
  }
  const alive = (): Processor[] => processors.filter((p) => !failures.has(p.id));
  const attempt = async (
    processor: Processor,
    scenario: Scenario | PreparedScenario,
  ): Promise<RunResult | null> => {
    try {
      return await runScenario(processor.command, scenario, runOptions);
    } catch (error) {
      const message = error instanceof HarnessError ? error.message : String(error);
      failures.set(processor.id, message);
      progress(`FAILED ${processor.label}: ${message}`);
      return null;
    }
  };

  // Start-up: one warm-up spawn (fills Deno's module/code caches), then fresh spawns, interleaved.
  const startupScenario: Scenario = {
    name: "startup",
    batches: 0,
    recordsPerBatch: 0,
    payloadBytes: 0,
  };
  const startupSamples = new Map<ProcessorId, RunResult[]>();
  for (const processor of alive()) {
    progress(`warm-up: ${processor.label}`);
    await attempt(processor, startupScenario);
    startupSamples.set(processor.id, []);
  }
  for (let i = 0; i < startupRuns; i++) {
    for (const processor of alive()) {
      const result = await attempt(processor, startupScenario);
      if (result !== null) startupSamples.get(processor.id)!.push(result);
    }
  }
  progress(`start-up: ${startupRuns} spawns per processor done`);
  const startup = new Map<ProcessorId, StartupSummary>();
  for (const processor of alive()) {
    const samples = startupSamples.get(processor.id) ?? [];
    if (samples.length === 0) continue;
    const ms = samples.map((r) => r.startupMs);
    startup.set(processor.id, {
      samplesMs: ms,
      medianMs: median(ms),
      p90Ms: percentile(ms, 90),
      idleRssMiB: median(samples.map((r) => r.peakRssKiB / 1024)),
    });
  }

  // Throughput: runs interleaved across processors, rotating who goes first.
  const results = new Map<string, Map<ProcessorId, Summary>>();
  const prepared = new Map<string, PreparedScenario>();
  for (const scenario of scenarios) {
    progress(`preparing scenario ${scenario.name} ...`);
    const data = prepareScenario(scenario);
    prepared.set(scenario.name, data);
    const perProcessor = new Map<ProcessorId, RunResult[]>();
    for (let run = 0; run < runs; run++) {
      const order = alive();
      const rotated = [...order.slice(run % order.length), ...order.slice(0, run % order.length)];
      for (const processor of rotated) {
        progress(`${scenario.name} run ${run + 1}/${runs}: ${processor.label}`);
        const result = await attempt(processor, data);
        if (result === null) continue;
        perProcessor.set(processor.id, [...(perProcessor.get(processor.id) ?? []), result]);
      }
    }
    const summaries = new Map<ProcessorId, Summary>();
    for (const processor of alive()) {
      const list = perProcessor.get(processor.id);
      if (list !== undefined && list.length > 0) summaries.set(processor.id, summarise(list));
    }
    results.set(scenario.name, summaries);
    // Free the scenario's lines (hundreds of MB for "large") before building the next one.
    data.lines.length = 0;
    data.batchOf.clear();
  }

  if (runHub) await measureHub();

  // Targets.
  const small = results.get("small");
  const large = results.get("large");
  const kcltsStartup = startup.get("kclts");
  const smallRatio = ratio(
    small?.get("kclts")?.recordsPerSecond,
    small?.get("aws-kcl")?.recordsPerSecond,
  );
  const largeRatio = ratio(large?.get("kclts")?.payloadMBps, large?.get("aws-kcl")?.payloadMBps);
  const smallRss = small?.get("kclts")?.peakRssMiB;
  const recordApiRatio = ratio(
    small?.get("kclts-record")?.recordsPerSecond,
    small?.get("kclts")?.recordsPerSecond,
  );
  // The same ratio from the children's CPU time: records/s swings with the host's load, CPU
  // seconds much less (both processors do the same work).
  const recordApiCpuRatio = ratio(
    small?.get("kclts")?.cpuSeconds,
    small?.get("kclts-record")?.cpuSeconds,
  );
  const targets: Target[] = [
    {
      name: "(i) kclts records/s vs aws-kcl",
      value: smallRatio,
      threshold: `>= ${TARGET_RATIO}x`,
      pass: smallRatio === null ? null : smallRatio >= TARGET_RATIO,
    },
    {
      name: "(ii) kclts MB/s vs aws-kcl",
      value: largeRatio,
      threshold: `>= ${TARGET_RATIO}x`,
      pass: largeRatio === null ? null : largeRatio >= TARGET_RATIO,
    },
    {
      name: "(i) kclts peak RSS (MiB)",
      value: smallRss ?? null,
      threshold: `<= ${TARGET_RSS_MIB}`,
      pass: smallRss === undefined ? null : smallRss <= TARGET_RSS_MIB,
    },
    {
      name: "(i) kclts per-record API records/s vs batch API",
      value: recordApiRatio,
      threshold: `>= ${TARGET_RECORD_API_RATIO}x`,
      pass: recordApiRatio === null ? null : recordApiRatio >= TARGET_RECORD_API_RATIO,
    },
    {
      name: "(i) kclts per-record API records per CPU second vs batch API",
      value: recordApiCpuRatio,
      threshold: `>= ${TARGET_RECORD_API_RATIO}x`,
      pass: recordApiCpuRatio === null ? null : recordApiCpuRatio >= TARGET_RECORD_API_RATIO,
    },
    {
      name: "kclts start-up median (ms)",
      value: kcltsStartup?.medianMs ?? null,
      threshold: `<= ${TARGET_STARTUP_MS}`,
      pass: kcltsStartup === undefined ? null : kcltsStartup.medianMs <= TARGET_STARTUP_MS,
    },
  ];

  if (values.json) {
    const scenarioJson: Record<string, unknown> = {};
    for (const scenario of scenarios) {
      const data = prepared.get(scenario.name)!;
      const summaries = results.get(scenario.name)!;
      scenarioJson[scenario.name] = {
        ...scenario,
        records: data.records,
        payloadBytes: data.payloadBytes,
        wireBytes: data.wireBytes,
        processors: Object.fromEntries(summaries),
      };
    }
    out(JSON.stringify(
      {
        machine,
        config: {
          runs,
          startupRuns,
          commands: Object.fromEntries(processors.map((p) => [p.id, p.command])),
        },
        startup: Object.fromEntries(startup),
        scenarios: scenarioJson,
        targets,
        hub: hubFigures,
        failures: Object.fromEntries(failures),
      },
      null,
      2,
    ));
    return failures.size > 0 ? 1 : 0;
  }

  const lines: string[] = [];
  lines.push("kclts benchmark: fake MultiLangDaemon driving each processor over real pipes");
  lines.push(
    `machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB RAM, Linux ` +
      `${machine.kernel}; Deno ${machine.deno} (V8 ${machine.v8}); Node ${machine.node}`,
  );
  lines.push(
    `runs: ${runs} per scenario and processor (median shown); start-up: ${startupRuns} fresh ` +
      `spawns after 1 warm-up; interleaved`,
  );
  for (const processor of processors) {
    lines.push(`  ${processor.label}: ${processor.command.join(" ")}`);
  }
  lines.push(
    `  children run in ${ROOT} with DENO_NO_UPDATE_CHECK=1 NO_COLOR=1, without ` +
      UNSET_ENV.join(", "),
  );
  lines.push("");
  lines.push(
    "Start-up (spawn -> initialize status received), ms; idle RSS = VmHWM after shardEnded-only run",
  );
  lines.push(table(
    ["processor", "median ms", "p90 ms", "idle RSS MiB"],
    processors.map((p) => {
      const s = startup.get(p.id);
      return [p.label, fixed(s?.medianMs, 1), fixed(s?.p90Ms, 1), fixed(s?.idleRssMiB, 1)];
    }),
  ));
  for (const scenario of scenarios) {
    const data = prepared.get(scenario.name)!;
    const summaries = results.get(scenario.name)!;
    lines.push("");
    lines.push(
      `Scenario ${
        SCENARIO_LABELS[scenario.name] ?? ""
      } ${scenario.name}: ${scenario.batches} batches x ` +
        `${scenario.recordsPerBatch} records x ${scenario.payloadBytes} B JSON ` +
        `(${data.records} records, ${fixed(data.payloadBytes / 1e6, 1)} MB payload, ` +
        `${fixed(data.wireBytes / 1e6, 1)} MB on the wire)`,
    );
    const rows = processors.map((p) => {
      const s = summaries.get(p.id);
      return [
        p.label,
        fixed(s?.recordsPerSecond, 0),
        fixed(s?.payloadMBps, 1),
        fixed(s?.peakRssMiB, 1),
        fixed(s?.rssAnonMiB, 1),
        fixed(s?.cpuSeconds, 2),
        fixed(s?.seconds, 3),
        s === undefined ? "-" : s.checksumVerified ? "yes" : "no",
      ];
    });
    const batch = summaries.get("kclts");
    const perRecord = summaries.get("kclts-record");
    if (batch !== undefined && perRecord !== undefined) {
      rows.push([
        "per-record / batch",
        `${fixed(ratio(perRecord.recordsPerSecond, batch.recordsPerSecond), 2)}x`,
        `${fixed(ratio(perRecord.payloadMBps, batch.payloadMBps), 2)}x`,
        `${fixed(ratio(perRecord.peakRssMiB, batch.peakRssMiB), 2)}x`,
        `${fixed(ratio(perRecord.rssAnonMiB, batch.rssAnonMiB), 2)}x`,
        `${fixed(ratio(perRecord.cpuSeconds, batch.cpuSeconds), 2)}x`,
        `${fixed(ratio(perRecord.seconds, batch.seconds), 2)}x`,
        "",
      ]);
    }
    const base = summaries.get("aws-kcl");
    for (const id of ["kclts", "kclts-record", "raw"] as const) {
      const s = summaries.get(id);
      if (s === undefined || base === undefined) continue;
      rows.push([
        `${id} / aws-kcl`,
        `${fixed(ratio(s.recordsPerSecond, base.recordsPerSecond), 2)}x`,
        `${fixed(ratio(s.payloadMBps, base.payloadMBps), 2)}x`,
        `${fixed(ratio(s.peakRssMiB, base.peakRssMiB), 2)}x`,
        `${fixed(ratio(s.rssAnonMiB, base.rssAnonMiB), 2)}x`,
        `${fixed(ratio(s.cpuSeconds, base.cpuSeconds), 2)}x`,
        `${fixed(ratio(s.seconds, base.seconds), 2)}x`,
        "",
      ]);
    }
    lines.push(table(
      [
        "processor",
        "records/s",
        "payload MB/s",
        "peak RSS MiB",
        "anon MiB",
        "child CPU s",
        "wall s",
        "checksum",
      ],
      rows,
    ));
  }
  if (scenarios.length > 0) {
    lines.push("");
    lines.push(
      "peak RSS = VmHWM of the spawned process after the last batch status (includes ~30 MiB of " +
        "the runtime binary's file-backed pages); anon MiB = current RssAnon at that moment; " +
        'checksum = "yes" if the processor printed the expected `checksum <n>` on STDERR.',
    );
  }
  if (hubFigures) {
    lines.push("");
    lines.push(...hubReport(hubFigures));
  }
  lines.push("");
  lines.push("Targets (kclts)");
  for (const target of targets) {
    const verdict = target.pass === null ? "n/a " : target.pass ? "PASS" : "FAIL";
    const value = target.value === null ? "not measured" : fixed(target.value, 2);
    lines.push(`  [${verdict}] ${target.name}: ${value} (target ${target.threshold})`);
  }
  if (failures.size > 0) {
    lines.push("");
    lines.push("Processor failures (exit code 1):");
    for (const [id, message] of failures) {
      lines.push(`  ${id}: ${message.split("\n").join("\n    ")}`);
    }
  }
  out(lines.join("\n"));
  return failures.size > 0 ? 1 : 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main();
  } catch (error) {
    progress(error instanceof Error ? error.message : String(error));
    progress(usage());
    code = 2;
  }
  // Exit explicitly: a failed child's leftover descendants must not keep this process alive.
  Deno.exit(code);
}
