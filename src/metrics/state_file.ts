/**
 * Per-process mode's state files: each child rewrites `<dir>/<pid>.json`
 * (write to a temporary file, then rename: a reader never sees half a file)
 * at most once a second when its counters changed, at least every
 * {@linkcode REPORT_INTERVAL_SECONDS} (so that a silent file means a blocked
 * child), and removes it when its session ends. While it runs, it holds an
 * exclusive lock on `<dir>/<pid>.lock`: the system releases the lock when the
 * process ends, however it ends, so the launcher, which reads the directory
 * at each request, knows the files of children that are gone (and removes
 * them) without looking at `/proc` (Deno allows that only with `--allow-all`)
 * and without being fooled by a reused process id.
 *
 * @module
 */

import type { ShardStatsReader, ShardStatsSnapshot } from "../session/stats.ts";
import { REPORT_INTERVAL_SECONDS, type ShardView } from "./view.ts";

/** The environment variable that gives a child the directory (set by the launcher). */
export const METRICS_DIR_ENV = "KCLTS_METRICS_DIR";

/** What a state file holds. */
export interface StateFile extends ShardStatsSnapshot {
  /** The format. */
  version: 1;
  /** The child's process id. */
  pid: number;
  /** When the file was written, epoch ms. */
  reportedAt: number;
}

/** Options of {@linkcode StateFileWriter}. */
export interface StateFileWriterOptions {
  /** The process id in the file's name. @default {Deno.pid} */
  pid?: number;
  /** The clock. @default {Date.now} */
  now?: () => number;
  /** The shortest time between two writes, ms. @default {1000} */
  intervalMs?: number;
  /** Called once if a write fails (the writer then stops). */
  onError?: (error: unknown) => void;
}

/** Writes one child's state file; see the module's description. */
export class StateFileWriter implements Disposable {
  readonly path: string;
  readonly #temporary: string;
  readonly #lockPath: string;
  readonly #lock: Deno.FsFile | null;
  readonly #stats: ShardStatsReader;
  readonly #pid: number;
  readonly #now: () => number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #last = "";
  #lastWritten = 0;
  #stopped = false;
  #closed = false;

  /**
   * Takes the lock; {@linkcode StateFileWriter.start} starts writing.
   *
   * @param dir The directory, from {@linkcode METRICS_DIR_ENV}.
   * @param stats The session's counters.
   * @param options Clock, interval, error report.
   */
  constructor(dir: string, stats: ShardStatsReader, options: StateFileWriterOptions = {}) {
    this.#pid = options.pid ?? Deno.pid;
    this.path = `${dir}/${this.#pid}.json`;
    this.#temporary = `${dir}/.${this.#pid}.json.tmp`;
    this.#lockPath = `${dir}/${this.#pid}.lock`;
    this.#stats = stats;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError;
    let lock: Deno.FsFile | null = null;
    try {
      // Locked before it gets its name: the launcher never sees it unlocked while we live.
      const temporary = `${dir}/.${this.#pid}.lock.tmp`;
      lock = Deno.openSync(temporary, { create: true, write: true, mode: 0o600 });
      lock.lockSync(true);
      Deno.renameSync(temporary, this.#lockPath);
    } catch (error) {
      lock?.close();
      lock = null;
      this.#stopped = true;
      this.#onError?.(error);
    }
    this.#lock = lock;
    this.#intervalMs = options.intervalMs ?? 1000;
  }

  /**
   * Writes the file if the counters changed since the last write, or if the
   * last write is {@linkcode REPORT_INTERVAL_SECONDS} old (the timer calls it).
   *
   * @returns `true` when it wrote.
   */
  write(): boolean {
    if (this.#stopped) return false;
    const current = this.#stats.snapshot();
    const { uptimeSeconds: _, ...snapshot } = current;
    const key = JSON.stringify(snapshot);
    const now = this.#now();
    if (key === this.#last && now - this.#lastWritten < REPORT_INTERVAL_SECONDS * 1000) {
      return false;
    }
    const file: StateFile = {
      version: 1,
      pid: this.#pid,
      reportedAt: now,
      ...current,
    };
    try {
      Deno.writeTextFileSync(this.#temporary, JSON.stringify(file), { mode: 0o600 });
      Deno.renameSync(this.#temporary, this.path);
    } catch (error) {
      this.#stop();
      this.#onError?.(error);
      return false;
    }
    this.#last = key;
    this.#lastWritten = now;
    return true;
  }

  /**
   * Writes now, then every `intervalMs` (when something changed, or every
   * {@linkcode REPORT_INTERVAL_SECONDS}). Call it once the daemon has its
   * first answer: a child's first timer loads Deno's timers (about 10 ms and
   * 5 MiB here), which must not delay `initialize`.
   */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.write();
    this.#timer = setInterval(() => this.write(), this.#intervalMs);
    // The timer must not keep the child alive once its session is over.
    Deno.unrefTimer(this.#timer);
  }

  #stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** Stops writing and removes the file: the session is over. */
  close(): void {
    this.#stop();
    if (this.#closed) return;
    this.#closed = true;
    for (const path of [this.#temporary, this.path, this.#lockPath]) {
      try {
        Deno.removeSync(path);
      } catch {
        // not there (or the directory is gone with the launcher)
      }
    }
    this.#lock?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Whether the child that wrote `<pid>.json` still runs: it holds the lock on `<pid>.lock`. */
function alive(dir: string, pid: number): boolean {
  let lock: Deno.FsFile;
  try {
    lock = Deno.openSync(`${dir}/${pid}.lock`, { read: true });
  } catch {
    return false;
  }
  try {
    return !lock.tryLockSync(true);
  } finally {
    lock.close();
  }
}

function isStateFile(value: unknown): value is StateFile {
  const file = value as StateFile;
  return typeof value === "object" && value !== null && file.version === 1 &&
    Number.isInteger(file.pid) && typeof file.shardId === "string" &&
    typeof file.reportedAt === "number" && typeof file.records === "number";
}

/**
 * Reads every child's state file. Files of processes that are gone are
 * removed (a crashed child cannot remove its own); unreadable files are
 * skipped and reported.
 *
 * @param dir The directory.
 * @param isAlive Tells whether the child of a process id runs. @default {a look at its lock}
 * @returns The live children's shards, and the problems found.
 */
export async function readStateDir(
  dir: string,
  isAlive: (pid: number) => boolean = (pid) => alive(dir, pid),
): Promise<{ shards: ShardView[]; problems: string[] }> {
  const shards: ShardView[] = [];
  const problems: string[] = [];
  const checked = new Map<number, boolean>();
  for await (const entry of Deno.readDir(dir)) {
    const match = /^\.?([0-9]+)\.(json|json\.tmp|lock)$/.exec(entry.name);
    if (!entry.isFile || !match) continue;
    const path = `${dir}/${entry.name}`;
    const pid = Number(match[1]);
    let live = checked.get(pid);
    if (live === undefined) checked.set(pid, live = isAlive(pid));
    if (!live) {
      await Deno.remove(path).catch(() => {});
      continue;
    }
    if (match[2] !== "json") continue;
    let file: unknown;
    try {
      file = JSON.parse(await Deno.readTextFile(path));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        problems.push(`${entry.name}: ${(error as Error).message}`);
      }
      continue;
    }
    if (!isStateFile(file) || file.pid !== pid) {
      problems.push(`${entry.name}: not a kclts state file`);
      continue;
    }
    const { version: _, ...shard } = file;
    shards.push(shard);
  }
  return { shards, problems };
}
