/**
 * A test kit for kclts processors: {@linkcode FakeDaemon} drives a processor
 * through the real protocol codec and session, in memory, without Java.
 *
 * @example
 * ```ts
 * import type { BatchProcessor } from "@kclts/kclts";
 * import { FakeDaemon } from "@kclts/kclts/testing";
 * import { strictEqual } from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const processor: BatchProcessor = {
 *   processRecords({ records }) {
 *     for (const record of records) seen.push(record.text());
 *   },
 * };
 * await using daemon = new FakeDaemon(processor);
 * await daemon.initialize();
 * await daemon.processRecords([{ data: "hello" }]);
 * await daemon.leaseLost();
 * strictEqual(seen[0], "hello");
 * ```
 *
 * @module
 */

export {
  type ActionResult,
  type CheckpointCall,
  type CheckpointResponder,
  FakeDaemon,
  type FakeDaemonOptions,
  type FakeRecord,
  type TranscriptLine,
} from "./src/testing/fake_daemon.ts";
