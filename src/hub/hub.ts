/**
 * The hub: one process serving every shard of a worker. The daemon starts a
 * relay per shard (`socat STDIO UNIX-CONNECT:<socket>`) instead of a whole
 * processor process; each connection on the hub's Unix socket is one shard
 * session, run by the same session code as a per-process child, with its own
 * processor from the factory.
 *
 * @module
 */

import { describe } from "../errors.ts";
import { makeProcessor, type ProcessorFactory } from "../api/factory.ts";
import type { BatchProcessor } from "../api/processor.ts";
import { logger } from "../runtime/log.ts";
import { run, type RunOptions } from "../session/session.ts";
import { ShardStats } from "../session/stats.ts";
import type { TraceFunction } from "../transport/connection.ts";
import { connectSocket } from "../transport/socket.ts";
import { type HubSocket, listenHubSocket } from "./socket.ts";

/** Options of {@linkcode Hub.listen}: where, and each session's options. */
export interface HubOptions extends Omit<RunOptions, "connection" | "stats"> {
  /** The socket's path; its directory is created (mode 0700) or must be private. */
  socket: string;
  /** Receives every protocol line of every session, with the connection's number. */
  trace?: (connection: number, ...line: Parameters<TraceFunction>) => void;
}

/** One live shard session of the hub. */
export interface HubSession {
  /** The connection's number, from 1, in the order of arrival. */
  readonly connection: number;
  /** The shard's counters, updated as the session runs (`stats.shardId` once initialized). */
  readonly stats: ShardStats;
  /** When the connection arrived (epoch milliseconds). */
  readonly since: number;
}

/** Totals since the hub started. */
export interface HubTotals {
  /** Connections accepted. */
  connections: number;
  /** Sessions that ended cleanly. */
  ended: number;
  /** Sessions that failed (their connection was closed: the daemon sees its child fail). */
  failed: number;
}

/**
 * A hub listening on its socket. Each connection runs one shard session; a
 * session that fails closes its own connection only, so the daemon sees that
 * child fail exactly as in per-process mode (`MultiLangProtocol` gets no
 * status, and `MultiLangShardRecordProcessor.stopProcessing` stops the
 * daemon), while the other shards go on.
 *
 * @example
 * ```ts
 * import { Hub, RecordProcessor } from "@kclts/kclts";
 * import { FakeDaemon } from "@kclts/kclts/testing";
 * import { strictEqual } from "node:assert/strict";
 *
 * class Counter extends RecordProcessor {
 *   override processRecord() {}
 * }
 * const dir = await Deno.makeTempDir();
 * const hub = await Hub.listen(() => new Counter(), { socket: `${dir}/hub.sock` });
 * await using daemon = await FakeDaemon.connect(hub.path);
 * await daemon.initialize({ shardId: "shardId-000000000001" });
 * await daemon.processRecords([{ data: "a" }, { data: "b" }]);
 * strictEqual([...hub.sessions][0]?.stats.records, 2);
 * await daemon.leaseLost();
 * await daemon.close();
 * await hub.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Hub {
  readonly #socket: HubSocket;
  readonly #factory: ProcessorFactory;
  readonly #options: Omit<HubOptions, "socket" | "trace">;
  readonly #trace: HubOptions["trace"];
  readonly #sessions = new Set<HubSession>();
  readonly #running = new Set<Promise<void>>();
  readonly #inUse = new WeakSet<BatchProcessor>();
  readonly #conns = new Map<HubSession, Deno.UnixConn>();
  readonly #totals: HubTotals = { connections: 0, ended: 0, failed: 0 };
  readonly #log = logger("hub");
  readonly #accepting: Promise<unknown>;
  #idle: (() => void) | null = null;
  #closing = false;

  private constructor(socket: HubSocket, factory: ProcessorFactory, options: HubOptions) {
    const { socket: _path, trace, ...sessionOptions } = options;
    this.#socket = socket;
    this.#factory = factory;
    this.#trace = trace;
    this.#options = sessionOptions;
    this.#accepting = this.#accept();
  }

  /**
   * Starts a hub: checks (or creates) the socket's private directory, replaces
   * a stale socket file, listens, and serves each connection as one shard.
   *
   * @param factory Makes one processor per shard.
   * @param options The socket and the sessions' options.
   * @returns The listening hub.
   * @throws {Error} If the socket cannot be created (see {@linkcode listenHubSocket}).
   */
  static async listen(factory: ProcessorFactory, options: HubOptions): Promise<Hub> {
    if (typeof factory !== "function") {
      throw new TypeError("Hub mode needs a processor factory, e.g. () => new Orders()");
    }
    const socket = await listenHubSocket(options.socket);
    return new Hub(socket, factory, options);
  }

  /** The socket's absolute path. */
  get path(): string {
    return this.#socket.path;
  }

  /** The live sessions with their counters (the metrics read them). */
  get sessions(): ReadonlySet<HubSession> {
    return this.#sessions;
  }

  /** Totals since the hub started. */
  get totals(): Readonly<HubTotals> {
    return this.#totals;
  }

  /**
   * Resolves when the hub stops accepting connections: `null` after
   * {@linkcode close}, else the error that stopped the listener.
   */
  get stopped(): Promise<unknown> {
    return this.#accepting;
  }

  async #accept(): Promise<unknown> {
    try {
      for await (const conn of this.#socket.listener) {
        const serving = this.#serve(conn);
        this.#running.add(serving);
        void serving.finally(() => this.#running.delete(serving));
      }
      return this.#closing ? null : new Error("The hub's listener ended");
    } catch (error) {
      if (this.#closing) return null;
      this.#log.error("The hub stopped accepting connections: {error}", {
        error: describe(error),
      });
      return error;
    }
  }

  async #serve(conn: Deno.UnixConn): Promise<void> {
    const number = ++this.#totals.connections;
    const stats = new ShardStats(this.#options.statsIntervalSeconds ?? 60, this.#options.now);
    const session: HubSession = { connection: number, stats, since: Date.now() };
    this.#sessions.add(session);
    this.#conns.set(session, conn);
    const trace = this.#trace;
    try {
      const processor = makeProcessor(this.#factory);
      if (this.#inUse.has(processor)) {
        throw new TypeError(
          "The processor factory returned a processor that another shard is using: " +
            "it must return a new one on every call, e.g. () => new Orders()",
        );
      }
      this.#inUse.add(processor);
      try {
        const connection = connectSocket(
          conn,
          trace ? { trace: (direction, line) => trace(number, direction, line) } : {},
        );
        await run(processor, { ...this.#options, stats, connection });
      } finally {
        this.#inUse.delete(processor);
      }
      this.#totals.ended++;
    } catch (error) {
      this.#totals.failed++;
      // Fatal as in per-process mode: the daemon stops when a child fails.
      this.#log.fatal(
        "The session of {shardId} failed; closing its connection (the daemon sees its child fail): {error}",
        { shardId: stats.shardId, connection: number, error: describe(error) },
      );
    } finally {
      try {
        conn.close();
      } catch {
        // the session closed it
      }
      this.#conns.delete(session);
      this.#sessions.delete(session);
      if (this.#sessions.size === 0) this.#idle?.();
    }
  }

  /**
   * Waits until no session is open, at most `ms` milliseconds. The hub keeps
   * accepting connections meanwhile (the daemon may still start a shard during
   * its shutdown).
   *
   * @param ms The longest wait.
   * @returns `true` if no session was open at the end.
   */
  async idle(ms: number): Promise<boolean> {
    if (this.#sessions.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#idle = resolve),
      new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
    ]);
    clearTimeout(timer);
    this.#idle = null;
    return this.#sessions.size === 0;
  }

  /**
   * Stops the hub: no new connection; the open sessions get `graceMs` to end
   * (the daemon closes them), then their connections are closed (the daemon
   * sees those children fail). Removes the socket file.
   *
   * @param graceMs How long the open sessions may take. @default {0}
   * @returns How many sessions were cut off.
   */
  async close(graceMs = 0): Promise<number> {
    if (!this.#closing) {
      this.#closing = true;
      this.#socket.close();
      await this.#accepting;
    }
    let cut = 0;
    if (!(await this.idle(graceMs))) {
      for (const [session, conn] of this.#conns) {
        cut++;
        this.#log.warn("Closing the connection of {shardId}: the hub is stopping", {
          shardId: session.stats.shardId,
          connection: session.connection,
        });
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    }
    await Promise.all(this.#running);
    return cut;
  }
}
