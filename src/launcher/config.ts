/**
 * Builds the daemon's effective properties from layers (template file,
 * `--config` files, environment, command line, launcher defaults) and
 * validates them. Pure: the caller reads files and the environment.
 *
 * @module
 */

import {
  canonicalKey,
  closest,
  CREDENTIALS_PROVIDERS,
  keyFromSnakeCase,
  KEYS,
  type KeySpec,
  METRICS_DIMENSIONS,
  OVERLAPS,
  snakeCase,
  suggestKey,
  UNSUPPORTED,
} from "./keys.ts";
import { parseProperties } from "./properties.ts";
import { loggingProblems } from "../runtime/logging.ts";
import { METRICS_ENV } from "../metrics/config.ts";

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
  ...METRICS_ENV,
  "KCLTS_HUB",
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
  /** Problems with the processor's own settings (see `envCount`), reported with the rest. */
  childErrors?: readonly string[];
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

/**
 * Keys that set one setting: the later layer's wins, one layer setting both
 * is an error. Both starting-position keys set `initialPositionInStreamExtended`
 * (`MultiLangDaemonConfiguration.setInitialPositionInStream`).
 */
const EXCLUSIVE: readonly (readonly string[])[] = [
  ["initialPositionInStream", "initialPositionInStreamExtended"],
];

/** True when the text holds a control character (a newline would inject properties). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream\/([A-Za-z0-9_.-]{1,128})$/;

/** A value as it may appear in a message: secrets masked, quoted. */
function shown(key: string, value: string): string {
  return JSON.stringify(maskValue(key, value));
}

/** One value as set: what was written, by which layer. */
interface Written {
  readonly raw: string;
  readonly layer: string;
  readonly value: string;
}

/**
 * Builds and checks the effective properties. Precedence, lowest first:
 * launcher defaults, the template, `--config` files, the well-known
 * environment variables, `KCL_*` variables, command-line overrides; then
 * `executableName`, `workerId` and `shutdownGraceMillis` are filled in unless
 * set. Aliases are written under their canonical key only.
 *
 * @param input The layers.
 * @returns The properties and any errors; launch only if `errors` is empty.
 */
export function resolveConfig(input: ConfigInput): EffectiveConfig {
  const properties = new Map<string, string>();
  const sources = new Map<string, string>();
  const written = new Map<string, Written>();
  const errors: string[] = [];
  const warnings: string[] = [];

  const put = (key: string, value: string, source: string, raw: string, layer: string) => {
    for (const group of EXCLUSIVE.filter((g) => g.includes(key))) {
      for (const mate of group) {
        if (mate === key || !properties.has(mate)) continue;
        if (written.get(mate)?.layer === layer) {
          errors.push(
            `${source}: ${layer} sets both ${mate} and ${key}: they are one setting, set one`,
          );
          return;
        }
        properties.delete(mate);
        sources.delete(mate);
        written.delete(mate);
      }
    }
    const before = written.get(key);
    if (before && before.layer === layer && before.raw !== raw && before.value !== value.trim()) {
      errors.push(
        `${source}: ${layer} sets both ${before.raw} (${shown(key, before.value)}) and ${raw} ` +
          `(${shown(key, value)}), one setting of the daemon: set one`,
      );
      return;
    }
    properties.set(key, value.trim());
    sources.set(key, source);
    written.set(key, { raw, layer, value: value.trim() });
  };

  const set = (rawKey: string, value: string, source: string, layer: string) => {
    if (hasControl(rawKey)) {
      errors.push(`${source}: the key ${JSON.stringify(rawKey)} contains a control character`);
      return;
    }
    const unsupported = UNSUPPORTED[rawKey];
    if (unsupported) {
      errors.push(`${source}: ${rawKey} cannot be set: ${unsupported}`);
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
          shown(key, value)
        }); it could inject other properties into the daemon's configuration`,
      );
      return;
    }
    put(key, value, source, rawKey, layer);
  };

  for (const [key, value] of DEFAULTS) set(key, value, "launcher default", "the launcher");
  for (const file of input.files) {
    for (const entry of parseProperties(file.text)) {
      set(entry.key, entry.value, `${file.path}:${entry.line}`, file.path);
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
    set(key, value, `environment ${name}`, "the environment");
  }
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("KCL_")) continue;
    const value = env[name] ?? "";
    const key = keyFromSnakeCase(name.slice(4));
    if (!key) {
      const guess = suggestKey(name.slice(4));
      errors.push(
        `environment ${name}: no property is called that` +
          (guess ? ` (did you mean KCL_${snakeCase(guess)}?)` : "") +
          "; KCL_ names are the keys in upper snake case, e.g. KCL_MAX_RECORDS for maxRecords",
      );
      continue;
    }
    set(key, value, `environment ${name}`, "KCL_ variables");
  }
  for (const [key, value] of input.overrides) set(key, value, `--${key}`, "the command line");

  const stream = properties.get("streamName") ??
    properties.get("streamArn")?.slice(properties.get("streamArn")!.indexOf("/") + 1);
  if (!properties.get("applicationName") && stream) {
    set(
      "applicationName",
      `${stream}-consumer`,
      'launcher: the stream name + "-consumer"',
      "the launcher",
    );
    warnings.push(
      `APPLICATION_NAME is not set: using "${stream}-consumer" (it names the lease table); ` +
        "set it so that two applications reading one stream never share their leases",
    );
  }
  const fill = (key: string, value: string, source: string) => set(key, value, source, "fill");
  if (!properties.has("executableName")) {
    fill("executableName", input.executableName, "launcher: this program in child mode");
  } else if (properties.get("executableName") !== input.executableName) {
    warnings.push(
      `executableName is set by ${sources.get("executableName")}: the daemon will run ` +
        `"${properties.get("executableName")}", not this program`,
    );
  }
  if (!properties.has("workerId")) fill("workerId", input.hostname, "launcher: the host name");
  if (!properties.has("shutdownGraceMillis")) {
    const raw = env.KCLTS_STOP_TIMEOUT_SECONDS?.trim() || "10";
    const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
    if (!(seconds > 2)) {
      errors.push(
        `KCLTS_STOP_TIMEOUT_SECONDS must be more than 2 (seconds; the daemon gets it minus 2 s ` +
          `as shutdownGraceMillis, and 0 means no graceful shutdown at all): got "${raw}"`,
      );
    } else {
      fill(
        "shutdownGraceMillis",
        String(Math.round(seconds * 1000) - 2000),
        `launcher: KCLTS_STOP_TIMEOUT_SECONDS (${seconds} s) minus 2 s`,
      );
    }
  }

  check(properties, sources, errors, warnings);
  errors.push(...loggingProblems(env), ...(input.childErrors ?? []));
  return { properties, sources, errors, warnings };
}

function applyInitialPosition(
  value: string,
  set: (key: string, value: string, source: string, layer: string) => void,
  errors: string[],
): void {
  const source = "environment INITIAL_POSITION";
  const upper = value.trim().toUpperCase();
  if (upper === "TRIM_HORIZON" || upper === "LATEST") {
    set("initialPositionInStream", upper, source, "the environment");
    return;
  }
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(seconds)) {
    errors.push(
      `${source}: must be TRIM_HORIZON, LATEST, a date (ISO 8601) or epoch seconds: got "${value}"`,
    );
    return;
  }
  set("initialPositionInStreamExtended", String(Math.floor(seconds)), source, "the environment");
}

function check(
  properties: Map<string, string>,
  sources: Map<string, string>,
  errors: string[],
  warnings: string[],
): void {
  const from = (key: string) => `${key} (from ${sources.get(key)})`;
  if (!properties.get("streamName") && !properties.get("streamArn")) {
    // The root cause only: the application name would default to <stream>-consumer.
    errors.push("The stream is required: set STREAM_NAME (or STREAM_ARN)");
  }
  if (properties.get("streamName") && properties.get("streamArn")) {
    warnings.push("Both streamName and streamArn are set: the daemon uses streamArn");
  }
  if (!properties.get("regionName")) {
    errors.push("The region is required: set AWS_REGION (e.g. eu-west-1)");
  }
  for (const [key, value] of properties) {
    const spec = KEYS[key];
    if (spec === undefined) continue;
    const result = checkValue(spec, value);
    if (typeof result !== "string") {
      errors.push(`${from(key)} ${result.problem}: got ${shown(key, value)}`);
      continue;
    }
    properties.set(key, result);
    const problem = rangeProblem(key, spec, result);
    if (problem) errors.push(`${from(key)} = ${maskValue(key, value)} ${problem}`);
  }
  const arn = properties.get("streamArn");
  const arnMatch = arn ? STREAM_ARN.exec(arn) : null;
  if (arn && !arnMatch) {
    errors.push(`${from("streamArn")} is not a Kinesis stream ARN: "${arn}"`);
  }
  const region = properties.get("regionName");
  if (arnMatch && region && arnMatch[1] !== region) {
    // KinesisClientLibConfigurator keeps only the stream name of the ARN; the clients read it
    // in regionName with the credentials' account.
    errors.push(
      `${from("streamArn")} is in ${arnMatch[1]}, but regionName is ${region} (from ${
        sources.get("regionName")
      }): the daemon keeps only the ARN's stream name and reads that name in regionName, ` +
        "with the credentials' account: it would read another stream",
    );
  }
  for (const [key, target] of Object.entries(OVERLAPS)) {
    const value = properties.get(key);
    const other = properties.get(target);
    if (value === undefined || other === undefined) continue;
    if (value === other) {
      properties.delete(key);
      sources.delete(key);
    } else {
      errors.push(
        `${from(key)} is "${value}" but ${
          from(target)
        } is "${other}", and ${target} sets it too: ` +
          "the daemon would pick one by the hash order of its properties; set one",
      );
    }
  }
  checkRetrievalMode(properties, sources, errors);
  const executable = properties.get("executableName") ?? "";
  if (executable.includes("\t")) {
    errors.push(`${from("executableName")} contains a tab: the daemon splits it on spaces only`);
  }
}

/**
 * Keys of the other retrieval mode are ignored: `RetrievalMode` builds
 * retrieval from `FanoutConfigBean` or `PollingConfigBean` alone, and DEFAULT
 * picks POLLING when any polling key is set (`PollingConfigBean.anyPropertiesSet`).
 */
function checkRetrievalMode(
  properties: Map<string, string>,
  sources: Map<string, string>,
  errors: string[],
): void {
  const set = properties.get("retrievalMode");
  const polling = [...properties.keys()].filter((key) => KEYS[key]?.mode === "POLLING");
  const mode = set === "POLLING" || set === "FANOUT"
    ? set
    : polling.length > 0
    ? "POLLING"
    : "FANOUT";
  const origin = set ? `from ${sources.get("retrievalMode")}` : "unset";
  const described = set === mode
    ? `retrievalMode is ${mode} (${origin})`
    : `retrievalMode is DEFAULT, which means ${mode}${
      mode === "POLLING" ? ` because ${polling[0]} is set` : ""
    } (${origin})`;
  for (const key of properties.keys()) {
    const keyMode = KEYS[key]?.mode;
    if (keyMode === undefined || keyMode === mode) continue;
    errors.push(
      `${key} (from ${sources.get(key)}) applies only when retrievalMode is ${keyMode}, and ` +
        `${described}: the daemon would ignore it. Remove it, or set retrievalMode = ${keyMode} ` +
        `(KCL_RETRIEVAL_MODE=${keyMode})`,
    );
  }
}

const JAVA_RANGES = {
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
} as const;

/** `Double.parseDouble`'s decimal forms (hexadecimal ones are left out). */
const JAVA_DOUBLE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/;

/** `java.time.Duration.parse`'s forms, without signs (`DurationConverter` refuses negatives). */
const DURATION = /^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d{1,9})?S)?)?$/i;

const BOOLEANS: Readonly<Record<string, string>> = {
  true: "true",
  yes: "true",
  y: "true",
  on: "true",
  "1": "true",
  false: "false",
  no: "false",
  n: "false",
  off: "false",
  "0": "false",
};

/**
 * Checks a value as the daemon's converters read it.
 *
 * @returns The value to write (enums upper case, booleans `true`/`false`), or the problem.
 */
function checkValue(spec: KeySpec, value: string): string | { problem: string } {
  const type = spec.type;
  if (Array.isArray(type)) {
    return type.includes(value.toUpperCase())
      ? value.toUpperCase()
      : { problem: `must be one of ${type.join(", ")}` };
  }
  switch (type) {
    case "int":
    case "long": {
      // BeanUtils' converters turn what Integer/Long.parseLong cannot read into 0.
      if (!/^[+-]?\d+$/.test(value)) return { problem: "must be a whole number" };
      const [low, high] = JAVA_RANGES[type];
      const number = BigInt(value);
      if (number < low || number > high) {
        return { problem: `must be between ${low} and ${high} (a Java ${type})` };
      }
      return value;
    }
    case "double":
      return JAVA_DOUBLE.test(value) && Number.isFinite(Number(value.replace(/[fFdD]$/, "")))
        ? value
        : { problem: "must be a number (decimal, as Java reads it)" };
    case "boolean": {
      const normal = BOOLEANS[value.toLowerCase()];
      return normal ?? { problem: "must be true or false" };
    }
    case "url":
      return /^https?:\/\/[^\s/]+/.test(value) ? value : { problem: "must be an http(s) URL" };
    case "region":
      return /^[a-z0-9]+(-[a-z0-9]+)+$/.test(value)
        ? value
        : { problem: "must be an AWS region, e.g. eu-west-1" };
    case "duration":
      // DurationConverter: java.time.Duration.parse, negative durations refused.
      return DURATION.test(value) && !/^PT?$/i.test(value)
        ? value
        : { problem: "must be an ISO-8601 duration (Duration.parse), e.g. PT12H or P1D" };
    case "tags": {
      // TagConverter drops (with a warning) every item that is not exactly key=value.
      const bad = value.split(",").find((item) => {
        const tokens = item.trim().split("=");
        return tokens.length !== 2 || tokens[0]!.trim() === "";
      });
      return bad === undefined
        ? value
        : { problem: `must be key=value pairs separated by commas ("${bad.trim()}" is not)` };
    }
    case "credentials": {
      // AwsCredentialsProviderPropertyValueDecoder skips, with a warning, every provider it
      // cannot build: one typo in a chain would silently drop that provider.
      const names = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
      if (names.length === 0) return { problem: "must name a credentials provider" };
      for (const item of names) {
        const name = item.split("|")[0]!.trim();
        if (name.includes(".") || CREDENTIALS_PROVIDERS.includes(name)) continue;
        const guess = closest(name, CREDENTIALS_PROVIDERS);
        return {
          problem: `names "${name}", a credentials provider the daemon cannot build` +
            (guess
              ? ` (did you mean "${guess}"?)`
              : ` (it can: ${CREDENTIALS_PROVIDERS.join(", ")})`) +
            "; it would skip it",
        };
      }
      return value;
    }
    case "dimensions": {
      const names = value.split(",").map((item) => item.trim());
      const bad = names.find((name) => !METRICS_DIMENSIONS.includes(name));
      if (bad === undefined) return names.join(",");
      const guess = closest(bad, METRICS_DIMENSIONS);
      return {
        problem: `names "${bad}", a dimension KCL never emits` +
          (guess ? ` (did you mean "${guess}"?)` : "") +
          `: the names are ${METRICS_DIMENSIONS.join(", ")}`,
      };
    }
    case "string":
      return value === "" ? { problem: "must not be empty" } : value;
  }
  return value;
}

/** Ranges the daemon works with, and primitive values it skips. */
function rangeProblem(key: string, spec: KeySpec, value: string): string | undefined {
  if (spec.primitive) {
    const javaDefault = spec.type === "boolean" ? value === "false" : Number(value) === 0;
    const kclDefaultIsJavaDefault = spec.kclDefault === "0" || spec.kclDefault === "false";
    if (javaDefault && !kclDefaultIsJavaDefault) {
      // ConfigurationSettableUtils.resolveFields skips a value equal to Defaults.defaultValue(type).
      return `has no effect: the daemon skips a value equal to Java's default for this setting ` +
        `(ConfigurationSettableUtils) and keeps KCL's default (${spec.kclDefault})`;
    }
  }
  if (spec.type !== "int" && spec.type !== "long" && spec.type !== "double") return undefined;
  const number = Number(value.replace(/[fFdD]$/, ""));
  if (spec.min !== undefined && number < spec.min) {
    return `is too small: it must be at least ${spec.min}${limitReason(key)}`;
  }
  if (spec.max !== undefined && number > spec.max) {
    return `is too large: it must be at most ${spec.max}${limitReason(key)}`;
  }
  return undefined;
}

function limitReason(key: string): string {
  switch (key) {
    case "timeoutInSeconds":
      return " (MultiLangProtocol waits that long for each answer: 0 or less halts the JVM at once)";
    case "shutdownGraceMillis":
      return " (0 or less: no graceful shutdown, children are killed)";
    case "maxRecords":
      return " (PollingConfig refuses more at start-up)";
    default:
      return "";
  }
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
