/**
 * kclts's local tools: `demo [processor.ts]` (the whole pipeline on this
 * machine, with any processor file), `emulators` (local Kinesis and
 * DynamoDB), `producer` (sample records) and `jar` (build the KCL daemon's
 * jar). Run `deno run -A jsr:@kclts/kclts/local --help`.
 *
 * @example
 * ```sh
 * deno run -A jsr:@kclts/kclts/local demo processor.ts
 * ```
 *
 * @module
 */

export { localUsage, main } from "./src/local/cli.ts";
import { main } from "./src/local/cli.ts";

if (import.meta.main) Deno.exit(await main(Deno.args));
