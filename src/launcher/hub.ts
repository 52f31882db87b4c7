/**
 * `launch --hub`: the launcher starts the hub (this program's `hub`
 * command), waits for its socket, and runs the daemon with the relay as
 * `executableName`. The two are stopped together: when the daemon exits the
 * hub is stopped; when the hub dies the daemon is stopped and the launcher
 * exits non-zero (a supervisor restarts it; the daemon's checkpoints never
 * pass what the hub processed, so nothing is lost).
 *
 * @module
 */

import { findOnPath, findSocat, relayCommand } from "../hub/relay.ts";
import { isLive } from "../hub/socket.ts";
import { type DaemonCommand, runDaemon } from "./run_daemon.ts";
import { writeAllSync } from "../transport/write_all.ts";

/** Where the hub of one launch listens, and the relay the daemon runs. */
export interface HubPlan {
  /** The private directory (mode 0700) holding the socket; removed at the end. */
  readonly dir: string;
  /** The socket. */
  readonly socket: string;
  /** The daemon's `executableName`: the relay to the socket. */
  readonly executableName: string;
}

/** The values of `KCLTS_HUB` that ask for hub mode (compared in lower case). */
export const HUB_ON: readonly string[] = ["1", "true", "yes", "on"];
/** The values of `KCLTS_HUB` that do not (with unset and empty). */
export const HUB_OFF: readonly string[] = ["0", "false", "no", "off"];

/**
 * Whether the environment asks for hub mode (`KCLTS_HUB`), at run time and
 * when compiling (`deno task compile`).
 *
 * @param value The variable's value.
 * @returns `true` for 1/true/yes/on, `false` for unset, empty, 0/false/no/off.
 * @throws {Error} For anything else.
 */
export function hubFromEnv(value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || HUB_OFF.includes(v)) return false;
  if (HUB_ON.includes(v)) return true;
  throw new Error(`KCLTS_HUB must be 1 or 0 (true/false): got "${value}"`);
}

/**
 * Makes the hub's private directory and the relay command.
 *
 * @param env The environment (`PATH` for socat, `XDG_RUNTIME_DIR`, `TMPDIR`).
 * @returns The plan.
 * @throws {Error} If socat is not installed.
 */
export async function planHub(env: Record<string, string | undefined>): Promise<HubPlan> {
  const socat = findSocat(env);
  if (!socat) {
    throw new Error(
      "hub mode needs socat, the relay the daemon runs per shard: install it " +
        "(apt-get install socat) or launch without --hub / KCLTS_HUB",
    );
  }
  // Deno.makeTempDir creates it with mode 0700; a short path (Unix sockets allow 107 bytes).
  const base = env.XDG_RUNTIME_DIR || env.TMPDIR || "/tmp";
  const dir = await Deno.makeTempDir({ dir: base, prefix: "kclts-hub-" });
  const socket = `${dir}/hub.sock`;
  // setsid (util-linux, in every Debian/Ubuntu image) keeps Ctrl+C away from the relays.
  const setsid = findOnPath("setsid", env) ?? null;
  return { dir, socket, executableName: relayCommand(socket, socat, setsid) };
}

/** What {@linkcode runWithHub} runs. */
export interface HubLaunch {
  /** The plan from {@linkcode planHub}. */
  plan: HubPlan;
  /** This program's command words in child mode (the hub is its `hub` command). */
  self: string[];
  /** The daemon. */
  daemon: DaemonCommand;
  /** The launcher's name, for messages. */
  name: string;
  /** Writes one line of the launcher's own messages (to stderr). */
  log?: (line: string) => void;
  /** Environment added to the hub's (the launcher's is inherited). */
  hubEnv?: Record<string, string>;
  /** How long to wait for the hub's socket. @default {30000} */
  startTimeoutMs?: number;
  /** How long the daemon gets to stop after the hub died, before SIGKILL. @default {5000} */
  stopTimeoutMs?: number;
}

function say(name: string, text: string): void {
  writeAllSync(Deno.stderr, `${name}: ${text}\n`);
}

/**
 * Runs the hub and the daemon together.
 *
 * @param launch What to run.
 * @returns The exit code: the daemon's; non-zero if the hub died or would not start.
 */
export async function runWithHub(launch: HubLaunch): Promise<number> {
  const { plan, name } = launch;
  const [command, ...args] = launch.self;
  try {
    const hub = new Deno.Command(command!, {
      args: [...args, "hub", "--socket", plan.socket],
      env: launch.hubEnv ?? {},
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    let hubExited: Deno.CommandStatus | null = null;
    const hubStatus = hub.status.then((status) => hubExited = status);
    const deadline = Date.now() + (launch.startTimeoutMs ?? 30_000);
    while (!(await isLive(plan.socket).catch(() => false))) {
      if (hubExited || Date.now() > deadline) {
        if (!hubExited) hub.kill("SIGKILL");
        const status = await hubStatus;
        say(
          name,
          `error: the hub did not start (exit ${describeStatus(status)}); nothing was started`,
        );
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The launcher's own stop signals go to the daemon (runDaemon forwards them); the hub then
    // ends with the daemon. Only a hub that ends while no stop was asked for is a failure.
    let stopping = false;
    const onStop = () => void (stopping = true);
    const stopSignals: Deno.Signal[] = ["SIGTERM", "SIGINT", "SIGHUP"];
    for (const signal of stopSignals) Deno.addSignalListener(signal, onStop);
    let daemonPid = 0;
    let hubDied = false;
    let daemonDone = false;
    const watch = hubStatus.then(async (status) => {
      if (daemonDone || (stopping && status.success)) return;
      hubDied = true;
      say(name, `error: the hub exited (${describeStatus(status)}); stopping the daemon`);
      if (daemonPid === 0) return;
      try {
        Deno.kill(daemonPid, "SIGTERM");
        await new Promise((resolve) => setTimeout(resolve, launch.stopTimeoutMs ?? 5000));
        if (!daemonDone) Deno.kill(daemonPid, "SIGKILL");
      } catch {
        // already gone
      }
    });
    let code: number;
    try {
      code = await runDaemon(launch.daemon, (pid) => daemonPid = pid, launch.log);
    } catch (error) {
      hub.kill("SIGTERM");
      await hubStatus;
      throw error;
    } finally {
      daemonDone = true;
      for (const signal of stopSignals) Deno.removeSignalListener(signal, onStop);
    }
    if (!hubExited) {
      // The relays ended with the daemon, so the hub has nothing left to wait for.
      try {
        hub.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    const status = await hubStatus;
    await watch;
    if (hubDied) return code === 0 ? 1 : code;
    if (!status.success && code === 0) {
      say(name, `error: the hub stopped with ${describeStatus(status)}`);
      return 1;
    }
    return code;
  } finally {
    await Deno.remove(plan.dir, { recursive: true }).catch(() => {});
  }
}

function describeStatus(status: Deno.CommandStatus): string {
  return status.signal ? `killed by ${status.signal}` : `code ${status.code}`;
}
