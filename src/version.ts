/**
 * The version of kclts (kept equal to `version` in deno.json by a test).
 *
 * @module
 */

/** The kclts version. */
export const VERSION = "0.1.0";
