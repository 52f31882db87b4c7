/**
 * Builds the daemon's effective properties from layers (template file,
 * `--config` files, environment, command line, launcher defaults) and
 * validates them. Pure: the caller reads files and the environment.
 *
 * @module
 */

import { canonicalKey, DAEMON_KEYS, keyFromSnakeCase, suggestKey } from "./keys.ts";
import { parseProperties } from "./properties.ts";

/** Environment variables with a fixed meaning, and the key each sets. */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  STREAM_NAME: "streamName",
  STREAM_ARN: "streamArn",
  APPLICATION_NAME: "applicationName",
  AWS_REGION: "regionName",
  AWS_DEFAULT_REGION: "regionName",
  INITIAL_POSITION: "initialPositionInStream",
  KINESIS_ENDPOINT: "kinesisEndpoint",
  DYNAMODB_ENDPOINT: "dynamoDBEndpoint",
  WORKER_ID: "workerId",
  // sylvite's names
  EXECUTABLE_NAME: "executableName",
};

/** Environment variables the launcher itself reads (not daemon keys). */
export const LAUNCHER_ENV: readonly string[] = [
  "KCLTS_PROPERTIES",
  "KCLTS_JAR",
  "KCLTS_JAVA",
  "KCLTS_JAVA_OPTS",
  "KCLTS_STOP_TIMEOUT_SECONDS",
];

/** A properties file's text and where it came from. */
export interface ConfigFile {
  /** The path, for messages. */
  readonly path: string;
  /** The text. */
  readonly text: string;
}

/** Everything the effective properties are built from. */
export interface ConfigInput {
  /** The template, then each `--config` file, lowest precedence first. */
  files: readonly ConfigFile[];
  /** The environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** `--key=value` overrides from the command line (sylvite style), in order. */
  overrides: readonly (readonly [string, string])[];
  /** How the daemon should start this program (`executableName` unless set). */
  executableName: string;
  /** The host name, the default `workerId`. */
  hostname: string;
}

/** The result: properties in a stable order, where each came from, and any problems. */
export interface EffectiveConfig {
  /** Canonical key → value. */
  readonly properties: Map<string, string>;
  /** Canonical key → where its value came from. */
  readonly sources: Map<string, string>;
  /** Problems that stop the launch. */
  readonly errors: string[];
  /** Problems worth knowing. */
  readonly warnings: string[];
}

const DEFAULTS: readonly (readonly [string, string])[] = [
  ["AwsCredentialsProvider", "DefaultCredentialsProvider"],
  ["initialPositionInStream", "TRIM_HORIZON"],
];

/** True when the text holds a control character (a newline would inject properties). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;

/**
 * Builds and checks the effective properties. Precedence, lowest first:
 * launcher defaults, the template, `--config` files, the well-known
 * environment variables, `KCL_*` variables, command-line overrides; then
 * `executableName`, `workerId` and `shutdownGraceMillis` are filled in unless
 * set.
 *
 * @param input The layers.
 * @returns The properties and any errors; launch only if `errors` is empty.
 */
export function resolveConfig(input: ConfigInput): EffectiveConfig {
  const properties = new Map<string, string>();
  const sources = new Map<string, string>();
  const errors: string[] = [];
  const warnings: string[] = [];

  const set = (rawKey: string, value: string, source: string) => {
    if (hasControl(rawKey)) {
      errors.push(`${source}: the key ${JSON.stringify(rawKey)} contains a control character`);
      return;
    }
    const key = canonicalKey(rawKey);
    if (key === undefined) {
      const suggestion = suggestKey(rawKey);
      errors.push(
        `${source}: unknown property "${rawKey}"` +
          (suggestion ? ` (did you mean "${suggestion}"?)` : "") +
          "; the daemon would silently ignore it",
      );
      return;
    }
    if (hasControl(value)) {
      errors.push(
        `${source}: the value of ${key} contains a newline or control character (${
          JSON.stringify(value)
        }); it could inject other properties into the daemon's configuration`,
      );
      return;
    }
    properties.set(key, value.trim());
    sources.set(key, source);
  };

  for (const [key, value] of DEFAULTS) set(key, value, "launcher default");
  for (const file of input.files) {
    for (const entry of parseProperties(file.text)) {
      set(entry.key, entry.value, `${file.path}:${entry.line}`);
    }
  }
  const env = input.env;
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    if (name === "AWS_DEFAULT_REGION" && env.AWS_REGION) continue;
    if (name === "INITIAL_POSITION") {
      applyInitialPosition(value, set, errors);
      continue;
    }
    set(key, value, `environment ${name}`);
  }
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("KCL_")) continue;
    const value = env[name] ?? "";
    const key = keyFromSnakeCase(name.slice(4));
    if (!key) {
      const guess = suggestKey(name.slice(4).replaceAll("_", ""));
      errors.push(
        `environment ${name}: no property is called that` +
          (guess ? ` (did you mean KCL_${snakeCase(guess)}?)` : ""),
      );
      continue;
    }
    set(key, value, `environment ${name}`);
  }
  for (const [key, value] of input.overrides) set(key, value, `--${key}`);

  if (!properties.get("applicationName")) {
    const stream = properties.get("streamName") ??
      properties.get("streamArn")?.slice(properties.get("streamArn")!.indexOf("/") + 1);
    if (stream) {
      set("applicationName", `${stream}-consumer`, 'launcher: the stream name + "-consumer"');
      warnings.push(
        `APPLICATION_NAME is not set: using "${stream}-consumer" (it names the lease table); ` +
          "set it so that two applications reading one stream never share their leases",
      );
    }
  }
  if (!properties.has("executableName")) {
    set("executableName", input.executableName, "launcher: this program in child mode");
  } else if (properties.get("executableName") !== input.executableName) {
    warnings.push(
      `executableName is set by ${sources.get("executableName")}: the daemon will run ` +
        `"${properties.get("executableName")}", not this program`,
    );
  }
  if (!properties.has("workerId") && !properties.has("workerIdentifier")) {
    set("workerId", input.hostname, "launcher: the host name");
  }
  if (!properties.has("shutdownGraceMillis")) {
    const raw = env.KCLTS_STOP_TIMEOUT_SECONDS ?? "10";
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || seconds < 2) {
      errors.push(`KCLTS_STOP_TIMEOUT_SECONDS must be a number of seconds >= 2: got "${raw}"`);
    } else {
      set(
        "shutdownGraceMillis",
        String(Math.round(seconds * 1000) - 2000),
        `launcher: KCLTS_STOP_TIMEOUT_SECONDS (${seconds} s) minus 2 s`,
      );
    }
  }

  check(properties, sources, errors, warnings);
  return { properties, sources, errors, warnings };
}

function applyInitialPosition(
  value: string,
  set: (key: string, value: string, source: string) => void,
  errors: string[],
): void {
  const source = "environment INITIAL_POSITION";
  const upper = value.trim().toUpperCase();
  if (upper === "TRIM_HORIZON" || upper === "LATEST") {
    set("initialPositionInStream", upper, source);
    return;
  }
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(seconds)) {
    errors.push(
      `${source}: must be TRIM_HORIZON, LATEST, a date (ISO 8601) or epoch seconds: got "${value}"`,
    );
    return;
  }
  set("initialPositionInStreamExtended", String(Math.floor(seconds)), source);
}

/**
 * Turns a key into the `KCL_` environment variable suffix: `maxRecords` →
 * `MAX_RECORDS`.
 *
 * @param key A daemon key.
 * @returns The upper snake case name.
 */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

function check(
  properties: Map<string, string>,
  sources: Map<string, string>,
  errors: string[],
  warnings: string[],
): void {
  const from = (key: string) => `${key} (from ${sources.get(key)})`;
  if (!properties.get("applicationName")) {
    errors.push("applicationName is required: set APPLICATION_NAME (it names the lease table)");
    // (only reached without a stream, whose name would give a default)
  }
  if (!properties.get("streamName") && !properties.get("streamArn")) {
    errors.push("The stream is required: set STREAM_NAME (or STREAM_ARN)");
  }
  if (properties.get("streamName") && properties.get("streamArn")) {
    warnings.push("Both streamName and streamArn are set: the daemon uses streamArn");
  }
  const arn = properties.get("streamArn");
  if (arn && !STREAM_ARN.test(arn)) {
    errors.push(`${from("streamArn")} is not a Kinesis stream ARN: "${arn}"`);
  }
  if (!properties.get("regionName")) {
    errors.push("The region is required: set AWS_REGION (e.g. eu-west-1)");
  }
  if (properties.has("initialPositionInStreamExtended")) {
    properties.delete("initialPositionInStream");
    sources.delete("initialPositionInStream");
  }
  for (const [key, value] of properties) {
    const type = DAEMON_KEYS[key];
    if (type === undefined) continue;
    const problem = typeProblem(type, value);
    if (problem) errors.push(`${from(key)} ${problem}: got "${value}"`);
    else if (Array.isArray(type)) properties.set(key, value.toUpperCase());
  }
  const executable = properties.get("executableName") ?? "";
  if (executable.includes("\t")) {
    errors.push(`${from("executableName")} contains a tab: the daemon splits it on spaces only`);
  }
}

function typeProblem(type: (typeof DAEMON_KEYS)[string], value: string): string | undefined {
  if (Array.isArray(type)) {
    return type.includes(value.toUpperCase()) ? undefined : `must be one of ${type.join(", ")}`;
  }
  switch (type) {
    case "int":
    case "long":
      return /^-?\d+$/.test(value) ? undefined : "must be a whole number";
    case "double":
      return value !== "" && Number.isFinite(Number(value)) ? undefined : "must be a number";
    case "boolean":
      return /^(true|false)$/i.test(value) ? undefined : "must be true or false";
    case "url":
      return /^https?:\/\/[^\s/]+/.test(value) ? undefined : "must be an http(s) URL";
    case "credentials":
    case "string":
    case "list":
      return value === "" ? "must not be empty" : undefined;
  }
  return undefined;
}

/**
 * Hides secrets in a value for display: passwords in URLs, and the
 * arguments of a credentials provider (role ARNs, external IDs).
 *
 * @param key The key.
 * @param value The value.
 * @returns The value safe to print.
 */
export function maskValue(key: string, value: string): string {
  if (/secret|password|token/i.test(key)) return "****";
  if (key.toLowerCase().startsWith("awscredentialsprovider")) {
    return value.split(",").map((provider) => {
      const [name, ...args] = provider.split("|");
      return args.length ? [name, ...args.map(() => "****")].join("|") : provider;
    }).join(",");
  }
  return value.replace(/^(\w+:\/\/[^:/@]+):[^@/]*@/, "$1:****@");
}
