/**
 * Processor factories: `start(() => new Orders())` gives each shard its own
 * processor, which hub mode needs (one process serves every shard).
 *
 * @module
 */

import type { BatchProcessor } from "./processor.ts";

/**
 * Makes a new processor for one shard. Called once per shard session: in hub
 * mode once per connection, in per-process mode once per process.
 *
 * @example
 * ```ts
 * import { type ProcessorFactory, RecordProcessor } from "@kclts/kclts";
 *
 * class Orders extends RecordProcessor {
 *   override processRecord() {}
 * }
 * const factory: ProcessorFactory = () => new Orders({ checkpointFreqSeconds: 60 });
 * ```
 */
export type ProcessorFactory = () => BatchProcessor;

/** What `start()` accepts: one processor, or a factory of them. */
export type ProcessorSource = BatchProcessor | ProcessorFactory;

function isClass(fn: unknown): boolean {
  return typeof fn === "function" && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/**
 * Checks what `start()` was given.
 *
 * @param source A processor or a factory.
 * @returns Whether it is a factory.
 * @throws {TypeError} For a class (not an instance, not a factory) or anything else.
 */
export function isFactory(source: ProcessorSource): source is ProcessorFactory {
  if (isClass(source)) {
    const name = (source as { name?: string }).name || "the class";
    throw new TypeError(
      `start() got ${name} itself: pass a factory, start(() => new ${name}(...)), or an instance`,
    );
  }
  if (typeof source === "function") return true;
  if (typeof (source as BatchProcessor | null)?.processRecords !== "function") {
    throw new TypeError(
      "start() needs a processor (an object with a processRecords method) or a factory of them",
    );
  }
  return false;
}

/**
 * A new processor from a factory, checked.
 *
 * @param factory The factory.
 * @returns The processor it made.
 * @throws {TypeError} If the factory returned something that is not a processor.
 */
export function makeProcessor(factory: ProcessorFactory): BatchProcessor {
  const processor = factory();
  if (typeof (processor as BatchProcessor | null)?.processRecords !== "function") {
    throw new TypeError(
      "The processor factory returned something without a processRecords method: " +
        "it must return a new processor, e.g. () => new Orders()",
    );
  }
  return processor;
}
