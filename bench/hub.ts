/**
 * Hub-mode workloads of `deno task bench` (issue 9): every shard of a worker in one kclts process
 * (`kclts_processor.ts hub --socket PATH`), the daemon's side of each shard a socat relay, against
 * a process per shard (kclts and aws-kcl).
 *
 * - memory: N = 1, 8, 32 leases alive at once, after 20 batches of (i) each: the sum of `Pss` and
 *   of `Rss` (`/proc/PID/smaps_rollup`) over every process involved (hub + relays, or children);
 * - start-up: relay spawn to the `initialize` status, into a warm hub;
 * - throughput: 8 leases driven at once (aggregate records/s), hub vs per-process; one lease
 *   through the relay vs aws-kcl.
 *
 * The hub runs with the V8 flags of `deno task compile --hub` (the build for hub mode, and what
 * `launch --hub` gives it under `deno run`), and the targets are judged on it; the `hub-default`
 * rows run it with the default build's flags (a per-shard child's) for comparison.
 *
 * ```sh
 * deno run -A bench/run.ts --scenario hub [--runs 3]
 * ```
 *
 * @module
 */

import {
  HarnessError,
  LeaseDriver,
  type PreparedScenario,
  prepareScenario,
  type RunOptions,
  runScenario,
  smapsRollup,
} from "./harness.ts";
import { PERMISSION_FLAGS, runtimeFlags } from "../src/runtime/permissions.ts";
import { findOnPath, relayWords } from "../src/hub/relay.ts";
import { isLive } from "../src/hub/socket.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const KCLTS = ["deno", "run", ...PERMISSION_FLAGS, "bench/kclts_processor.ts"];
/** The hub built with `deno task compile --hub` (and as `launch --hub` runs it under `deno run`). */
const KCLTS_HUB = ["deno", "run", ...runtimeFlags("hub"), "bench/kclts_processor.ts"];
const AWS_KCL = ["node", "bench/baseline/processor.js"];

/** Targets of issue 9. */
const TARGET_HUB_PSS_FRACTION = 0.25;
const TARGET_HUB_PSS_MIB = 150;
const TARGET_STARTUP_MS = 5;
const TARGET_ONE_SHARD_RATIO = 1.3;

type Mode = "process" | "hub" | "hub-default" | "aws-kcl";
const MODE_LABELS: Record<Mode, string> = {
  process: "kclts, a process per shard",
  hub: "kclts hub (built with --hub) + socat relays",
  "hub-default": "the same, hub from the default build (2 MiB young gen.)",
  "aws-kcl": "aws-kcl (Node), a process per shard",
};

// deno-lint-ignore no-console -- progress goes to stderr so stdout stays clean
const progress = (text: string): void => console.error(text);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A hub process for one workload. */
class HubProcess {
  readonly dir: string;
  readonly socket: string;
  readonly child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;

  private constructor(dir: string, child: Deno.ChildProcess, socket: string) {
    this.dir = dir;
    this.child = child;
    this.socket = socket;
    this.#stderr = new Response(child.stderr).text();
  }

  /**
   * @param build `"hub"`: the hub's V8 flags, as a binary built with `deno task compile --hub`
   * has them; `"default"`: the default build's (a per-shard child's).
   */
  static async start(
    options: RunOptions,
    build: "hub" | "default" = "hub",
  ): Promise<HubProcess> {
    const dir = await Deno.makeTempDir({ prefix: "kclts-bench-" });
    const socket = `${dir}/hub.sock`;
    const [program, ...args] = build === "hub" ? KCLTS_HUB : KCLTS;
    const child = new Deno.Command(program!, {
      args: [...args, "hub", "--socket", socket],
      cwd: ROOT,
      env: {
        ...options.env,
        KCLTS_LOG_LEVEL: "warning",
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const hub = new HubProcess(dir, child, socket);
    const deadline = Date.now() + 30_000;
    while (!(await isLive(socket).catch(() => false))) {
      if (Date.now() > deadline) {
        await hub.stop();
        throw new HarnessError("The hub did not start listening within 30 s");
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return hub;
  }

  /** The relay as `launch --hub` gives it to the daemon. */
  get relay(): string[] {
    return relayWords(this.socket, "socat", findOnPath("setsid", Deno.env.toObject()) ?? null);
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // gone
    }
    const status = await this.child.status;
    const stderr = await this.#stderr;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    if (!status.success) {
      throw new HarnessError(`The hub exited with code ${status.code}`, stderr.slice(-4096));
    }
  }
}

interface MemoryFigure {
  mode: Mode;
  leases: number;
  pssMiB: number;
  rssMiB: number;
  processes: number;
  hubPssMiB: number | null;
}

/** Runs `leases` leases at once through `mode`, 20 batches each, and sums their memory. */
async function memoryRun(
  mode: Mode,
  leases: number,
  prepared: PreparedScenario,
  options: RunOptions,
): Promise<MemoryFigure> {
  const hub = mode === "hub" || mode === "hub-default"
    ? await HubProcess.start(options, mode === "hub" ? "hub" : "default")
    : null;
  const command = hub ? hub.relay : mode === "process" ? KCLTS : AWS_KCL;
  const drivers: LeaseDriver[] = [];
  try {
    for (let i = 0; i < leases; i++) drivers.push(new LeaseDriver(command, prepared, options));
    await Promise.all(drivers.map((d) => d.initialize()));
    for (let batch = 0; batch < prepared.lines.length; batch++) {
      await Promise.all(drivers.map((d) => d.batch(batch)));
    }
    const pids = [...drivers.map((d) => d.pid), ...(hub ? [hub.child.pid] : [])];
    let pss = 0;
    let rss = 0;
    for (const pid of pids) {
      const m = smapsRollup(pid);
      pss += m.pssKiB;
      rss += m.rssKiB;
    }
    const hubPss = hub ? smapsRollup(hub.child.pid).pssKiB / 1024 : null;
    await Promise.all(drivers.map((d) => d.end()));
    return {
      mode,
      leases,
      pssMiB: pss / 1024,
      rssMiB: rss / 1024,
      processes: pids.length,
      hubPssMiB: hubPss,
    };
  } catch (error) {
    await Promise.all(drivers.map((d) => d.abort()));
    throw error;
  } finally {
    await hub?.stop();
  }
}

/** Drives `leases` leases at once through all their batches; aggregate records/s. */
async function throughputRun(
  command: string[],
  leases: number,
  prepared: PreparedScenario,
  options: RunOptions,
): Promise<number> {
  const drivers: LeaseDriver[] = [];
  try {
    for (let i = 0; i < leases; i++) drivers.push(new LeaseDriver(command, prepared, options));
    await Promise.all(drivers.map((d) => d.initialize()));
    const t0 = performance.now();
    await Promise.all(drivers.map(async (d) => {
      for (let batch = 0; batch < prepared.lines.length; batch++) await d.batch(batch);
    }));
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(drivers.map((d) => d.end()));
    return (prepared.records * leases) / seconds;
  } catch (error) {
    await Promise.all(drivers.map((d) => d.abort()));
    throw error;
  }
}

/** The figures of the hub workloads. */
export interface HubFigures {
  memory: MemoryFigure[];
  startup: {
    samplesMs: number[];
    medianMs: number;
    withoutSetsidMedianMs: number;
    processMedianMs: number;
  };
  aggregate8: { hub: number; hubDefault: number; process: number };
  oneShard: { hub: number; hubDefault: number; awsKcl: number; process: number };
  targets: { name: string; value: number | null; threshold: string; pass: boolean | null }[];
}

/**
 * Runs the hub workloads.
 *
 * @param options `runs` (medians of that many runs for the throughput figures), the children's
 * run options, and which lease counts to measure.
 * @returns The figures.
 */
export async function hubBenchmarks(options: {
  runs: number;
  startupRuns: number;
  run: RunOptions;
  leaseCounts?: number[];
}): Promise<HubFigures> {
  const run = options.run;
  const memoryScenario = prepareScenario({
    name: "memory",
    batches: 20,
    recordsPerBatch: 500,
    payloadBytes: 200,
  });
  const memory: MemoryFigure[] = [];
  for (const leases of options.leaseCounts ?? [1, 8, 32]) {
    for (const mode of ["process", "hub", "hub-default", "aws-kcl"] as const) {
      progress(`hub bench: memory, ${leases} leases, ${MODE_LABELS[mode]}`);
      memory.push(await memoryRun(mode, leases, memoryScenario, run));
    }
  }

  progress("hub bench: start-up through a relay into a warm hub");
  const startupSamples: number[] = [];
  const processSamples: number[] = [];
  const plainSamples: number[] = [];
  const none = prepareScenario({
    name: "startup",
    batches: 0,
    recordsPerBatch: 0,
    payloadBytes: 0,
  });
  const hub = await HubProcess.start(run);
  try {
    await runScenario(hub.relay, none, run); // warm-up
    await runScenario(KCLTS, none, run);
    for (let i = 0; i < options.startupRuns; i++) {
      startupSamples.push((await runScenario(hub.relay, none, run)).startupMs);
      processSamples.push((await runScenario(KCLTS, none, run)).startupMs);
      plainSamples.push((await runScenario(relayWords(hub.socket), none, run)).startupMs);
    }
  } finally {
    await hub.stop();
  }

  // (i) on each of 8 leases: about 2 s of work; 50 batches (0.5 s) gave figures dominated by
  // the noise of this shared machine and by JIT warm-up.
  const eight = prepareScenario({
    name: "eight",
    batches: 200,
    recordsPerBatch: 500,
    payloadBytes: 200,
  });
  const aggregateHub: number[] = [];
  const aggregateProcess: number[] = [];
  const small = prepareScenario({
    name: "small",
    batches: 200,
    recordsPerBatch: 500,
    payloadBytes: 200,
  });
  const oneHub: number[] = [];
  const aggregateDefault: number[] = [];
  const oneDefault: number[] = [];
  const oneAws: number[] = [];
  const oneProcess: number[] = [];
  for (let r = 0; r < options.runs; r++) {
    progress(`hub bench: 8 leases at once, run ${r + 1}/${options.runs}`);
    aggregateProcess.push(await throughputRun(KCLTS, 8, eight, run));
    const h = await HubProcess.start(run);
    try {
      aggregateHub.push(await throughputRun(h.relay, 8, eight, run));
      progress(`hub bench: one lease (i), run ${r + 1}/${options.runs}`);
      // The hub is warm (as in production, where it serves shard after shard).
      oneHub.push((await runScenario(h.relay, small, run)).recordsPerSecond);
    } finally {
      await h.stop();
    }
    const plain = await HubProcess.start(run, "default");
    try {
      aggregateDefault.push(await throughputRun(plain.relay, 8, eight, run));
      oneDefault.push((await runScenario(plain.relay, small, run)).recordsPerSecond);
    } finally {
      await plain.stop();
    }
    oneAws.push((await runScenario(AWS_KCL, small, run)).recordsPerSecond);
    oneProcess.push((await runScenario(KCLTS, small, run)).recordsPerSecond);
  }

  const figure = (mode: Mode, leases: number) =>
    memory.find((m) => m.mode === mode && m.leases === leases);
  const hub32 = figure("hub", 32);
  const process32 = figure("process", 32);
  const fraction = hub32 && process32 ? hub32.pssMiB / process32.pssMiB : null;
  const startupMedian = median(startupSamples);
  const aggregate8 = {
    hub: median(aggregateHub),
    hubDefault: median(aggregateDefault),
    process: median(aggregateProcess),
  };
  const oneShard = {
    hub: median(oneHub),
    hubDefault: median(oneDefault),
    awsKcl: median(oneAws),
    process: median(oneProcess),
  };
  const oneRatio = oneShard.hub / oneShard.awsKcl;
  return {
    memory,
    startup: {
      samplesMs: startupSamples,
      medianMs: startupMedian,
      withoutSetsidMedianMs: median(plainSamples),
      processMedianMs: median(processSamples),
    },
    aggregate8,
    oneShard,
    targets: [
      {
        name: "hub PSS for 32 shards / per-process",
        value: fraction,
        threshold: `<= ${TARGET_HUB_PSS_FRACTION}`,
        pass: fraction === null ? null : fraction <= TARGET_HUB_PSS_FRACTION,
      },
      {
        name: "hub PSS for 32 shards (MiB)",
        value: hub32?.pssMiB ?? null,
        threshold: `<= ${TARGET_HUB_PSS_MIB}`,
        pass: hub32 === undefined ? null : hub32.pssMiB <= TARGET_HUB_PSS_MIB,
      },
      {
        name: "hub start-up median, relay spawn to initialize status (ms)",
        value: startupMedian,
        threshold: `<= ${TARGET_STARTUP_MS}`,
        pass: startupMedian <= TARGET_STARTUP_MS,
      },
      {
        name: "one shard through the hub, records/s vs aws-kcl",
        value: oneRatio,
        threshold: `>= ${TARGET_ONE_SHARD_RATIO}x`,
        pass: oneRatio >= TARGET_ONE_SHARD_RATIO,
      },
      {
        name: "8 shards at once, hub records/s vs per-process",
        value: aggregate8.hub / aggregate8.process,
        threshold: ">= 1x",
        pass: aggregate8.hub >= aggregate8.process,
      },
    ],
  };
}

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? "-"
    : value.toFixed(digits);
}

/**
 * The report of the hub workloads, as text.
 *
 * @param figures The figures.
 * @returns The lines.
 */
export function hubReport(figures: HubFigures): string[] {
  const lines: string[] = [];
  lines.push("Hub mode: memory of N leases alive at once, after 20 batches of (i) each");
  lines.push("(sum over every process: hub + relays, or one child per lease; smaps_rollup)");
  const header = ["leases", "mode", "processes", "PSS MiB", "PSS/lease", "RSS MiB", "hub PSS MiB"];
  const rows = figures.memory.map((m) => [
    String(m.leases),
    MODE_LABELS[m.mode],
    String(m.processes),
    fixed(m.pssMiB, 1),
    fixed(m.pssMiB / m.leases, 1),
    fixed(m.rssMiB, 1),
    fixed(m.hubPssMiB, 1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join("  ");
  lines.push(fmt(header));
  for (const r of rows) lines.push(fmt(r));
  lines.push("");
  const s = figures.startup;
  lines.push(
    `Start-up, spawn to initialize status: relay into a warm hub ${
      fixed(s.medianMs, 1)
    } ms median ` +
      `(${s.samplesMs.map((v) => v.toFixed(1)).join(", ")}); without setsid ${
        fixed(s.withoutSetsidMedianMs, 1)
      } ms; a kclts process ${fixed(s.processMedianMs, 1)} ms`,
  );
  lines.push(
    `8 leases at once, 200 x 500 x 200 B each, aggregate records/s: hub ${
      fixed(figures.aggregate8.hub, 0)
    } (default build ${fixed(figures.aggregate8.hubDefault, 0)}), ` +
      `per-process ${fixed(figures.aggregate8.process, 0)}`,
  );
  const o = figures.oneShard;
  lines.push(
    `One lease, (i) 200 x 500 x 200 B, records/s: through the relay into the hub ${
      fixed(o.hub, 0)
    } (default build ${fixed(o.hubDefault, 0)}), ` +
      `aws-kcl ${fixed(o.awsKcl, 0)}, kclts per-process ${fixed(o.process, 0)}`,
  );
  lines.push("");
  lines.push("Targets (hub mode)");
  for (const t of figures.targets) {
    const verdict = t.pass === null ? "n/a " : t.pass ? "PASS" : "FAIL";
    lines.push(`  [${verdict}] ${t.name}: ${fixed(t.value, 2)} (target ${t.threshold})`);
  }
  return lines;
}
