/**
 * A processor's own settings, read from the environment and declared once:
 * a bad value is reported before anything starts, both in child mode (exit 2
 * before the session) and by `launch`, `doctor` and `properties`, which run the
 * same program with arguments and would otherwise start a daemon whose every
 * child exits 2 after taking a lease.
 *
 * @module
 */

const problems: string[] = [];

/**
 * Reads a whole number >= 0 from the environment (e.g. kclpy's
 * `CHECKPOINT_FREQ_SECONDS`). A bad value is recorded, not thrown: `start()`
 * reports it (child mode: exit 2; launcher commands: an error before anything
 * starts) and the fallback is returned meanwhile.
 *
 * @param name The variable.
 * @param fallback The value when it is unset or empty.
 * @returns The number, or `fallback`.
 *
 * @example
 * ```ts
 * import { envCount } from "@kclts/kclts";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(envCount("KCLTS_EXAMPLE_UNSET_COUNT", 60), 60);
 * ```
 */
export function envCount(name: string, fallback: number): number {
  const raw = Deno.env.get(name)?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    problems.push(`${name} must be a whole number >= 0: got "${raw}"`);
    return fallback;
  }
  return Number(raw);
}

/**
 * The problems found so far by {@linkcode envCount}.
 *
 * @returns One message per bad setting.
 */
export function settingProblems(): readonly string[] {
  return [...problems];
}
