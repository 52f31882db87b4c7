// Starts dynalite's CLI (`node_modules/dynalite/cli.js`, a CommonJS script with a top-level
// `return`) through require(), so it also runs as a plain `deno run` module without a deno.json or
// package.json "type" lookup. Arguments are dynalite's own (`--host`, `--port`, `--createTableMs`, ...).
// Runs unchanged under Deno (`deno run -A dynalite.mjs ...`) and Node (`node dynalite.mjs ...`).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
require("dynalite/cli.js");
