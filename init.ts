/**
 * Writes a new Kinesis consumer project that imports kclts: a processor, its
 * tests, the tasks (`demo`, `test`, `launch`, `compile`), a Dockerfile on
 * kclts's runtime image, a compose file and the daemon's properties.
 *
 * @example
 * ```sh
 * deno run -A jsr:@kclts/kclts/init my-consumer
 * cd my-consumer && deno task demo
 * ```
 *
 * @module
 */

export { INIT_USAGE, initMain } from "./src/scaffold/main.ts";
import { initMain } from "./src/scaffold/main.ts";

if (import.meta.main) Deno.exit(await initMain(Deno.args));
