/**
 * Facts about the consumer image that the container tests share: where the
 * binary is, and which environment variables something in the image reads.
 *
 * @module
 */

import { ENV_KEYS, LAUNCHER_ENV } from "../src/launcher/config.ts";
import { keyFromSnakeCase } from "../src/launcher/keys.ts";
import { ROOT } from "./_util.ts";

/** Where the image keeps the binary, the jar and the properties. */
export const IMAGE_DIR = "/opt/kclts";
/** The processor binary (the entrypoint's program). */
export const BINARY = `${IMAGE_DIR}/processor`;

/** Names read by the processor program in the image, besides the launcher's. */
export const CHILD_LOGGING = ["KCLTS_LOG_LEVEL", "KCLTS_LOG_FORMAT", "KCLTS_TRACE"];
/** The daemon's logging variables (logback.xml). */
export const DAEMON_LOGGING = ["SYLVITE_LOG_LEVEL", "SYLVITE_CHATTY_LOG_LEVEL"];
/** Variables the AWS SDK reads that the examples use. */
export const AWS_SDK = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_PROFILE",
];
/** Variables the template processor (processor.ts) reads. */
export const templateEnv = [
  ...Deno.readTextFileSync(`${ROOT}/processor.ts`).matchAll(
    /(?:Deno\.env\.get|envCount)\("([A-Z0-9_]+)"/g,
  ),
].map((m) => m[1]!);

/**
 * Whether something in the image reads an environment variable: the launcher,
 * the daemon (`KCL_<KEY>`), the logging of either, the AWS SDK or the template.
 *
 * @param name The variable.
 * @returns Whether it is read.
 */
export function accepted(name: string): boolean {
  return name in ENV_KEYS || LAUNCHER_ENV.includes(name) || CHILD_LOGGING.includes(name) ||
    DAEMON_LOGGING.includes(name) || AWS_SDK.includes(name) || templateEnv.includes(name) ||
    (name.startsWith("KCL_") && keyFromSnakeCase(name.slice(4)) !== undefined);
}
