// Starts kinesis-mock (npm `kinesis-local`, whose main.js hard-codes the listen host 0.0.0.0) bound to the
// loopback interface only: every net.Server#listen() call that asks for a wildcard (or no) host is
// rewritten to 127.0.0.1 before main.js is loaded. Configuration is the usual kinesis-mock environment
// (KINESIS_MOCK_PLAIN_PORT, KINESIS_MOCK_TLS_PORT, KINESIS_MOCK_CERT_PATH, LOG_LEVEL, ...), plus
// KCLTS_EMULATOR_HOST: the address to listen on instead of 127.0.0.1 (the emulator container of
// docker-compose.yml sets 0.0.0.0, so that other containers reach it).
// Runs unchanged under Deno (`deno run -A kinesis-mock.mjs`) and Node (`node kinesis-mock.mjs`).
import net from "node:net";
import process from "node:process";
import { createRequire } from "node:module";

const HOST = process.env.KCLTS_EMULATOR_HOST || "127.0.0.1";
const WILDCARDS = new Set(["0.0.0.0", "::", "", undefined, null]);
const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnHost(...args) {
  const [first, second] = args;
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    // listen(options[, callback]); a `path` (unix socket) or `handle` is left alone
    if (first.path === undefined && first.handle === undefined && WILDCARDS.has(first.host)) {
      args[0] = { ...first, host: HOST };
    }
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback])
    if (typeof second === "string") {
      if (WILDCARDS.has(second)) args[1] = HOST;
    } else {
      args.splice(1, 0, HOST);
    }
  }
  return originalListen.apply(this, args);
};

const require = createRequire(import.meta.url);
require("kinesis-local/main.js");
