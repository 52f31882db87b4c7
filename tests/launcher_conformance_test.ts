/**
 * The launcher's key table (src/launcher/keys.ts) checked against the KCL
 * 3.1.3 MultiLangDaemon itself: every case is loaded through the daemon's own
 * configuration path by `tests/conformance/DaemonConfigProbe.java` (compiled
 * here against sylvite.jar), and what the daemon built is compared with what
 * it builds without that key.
 *
 * - every key the launcher accepts, with a sample value: the launcher accepts
 *   it and the daemon applies it (its configuration changes);
 * - every key set to the table's KCL default: the daemon's configuration does
 *   not change (the README's "KCL default" column is right);
 * - every edge value of issue 8 section 3 the launcher rejects: the daemon
 *   ignores or refuses it, or it is in {@linkcode HARMFUL} (applied, but
 *   breaks the daemon), each with its reason.
 */

import { deepStrictEqual, fail, ok } from "node:assert/strict";
import { type ConfigInput, resolveConfig } from "../src/launcher/config.ts";
import { CREDENTIALS_PROVIDERS, KEYS, type KeySpec } from "../src/launcher/keys.ts";
import { renderProperties } from "../src/launcher/properties.ts";
import { ROOT } from "./_util.ts";

const JAR = `${ROOT}/sylvite/target/sylvite.jar`;
const PROBE = `${ROOT}/tests/conformance/DaemonConfigProbe.java`;

const ENV = { STREAM_NAME: "orders", APPLICATION_NAME: "orders-app", AWS_REGION: "us-east-1" };
const ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders";

/** Values the launcher rejects although the daemon applies them: they break it. */
const HARMFUL: Readonly<Record<string, string>> = {
  "timeoutInSeconds=0":
    "MultiLangProtocol waits future.get(0, SECONDS) for each answer: the JVM halts at the first message",
  "timeoutInSeconds=-1": "as 0: a wait of less than nothing times out at once and halts the JVM",
  "shutdownGraceMillis=-1": "no graceful shutdown: children are killed at once on SIGTERM",
  "metricsEnabledDimensions=Operation,Shardid":
    "FilteringMetricsScope keeps only the dimensions named: a name KCL never emits drops ShardId",
};

/** Keys whose table default cannot be checked by setting it, and why. */
const DEFAULT_UNCHECKED: Readonly<Record<string, string>> = {
  initialPositionInStream:
    "LeaseManagementConfig defaults to TRIM_HORIZON, RetrievalConfig (which the shards start from) to LATEST",
  idleTimeBetweenReadsInMillis:
    "setting it at all marks PollingConfig.usePollingConfigIdleTimeValue; the value, 1500, is the same",
};

/** Types whose table default is a value (for the others it describes one, e.g. "a random UUID"). */
const VALUE_DEFAULTS = new Set(["int", "long", "double", "boolean", "duration", "dimensions"]);

interface Case {
  /** What is checked. */
  readonly name: string;
  /** What the launcher is given. */
  readonly input: ConfigInput;
  /** The key under test. */
  readonly key: string;
  /** Its value. */
  readonly value: string;
  /** sample: must be applied; default: must change nothing; edge: rejected by the launcher. */
  readonly kind: "sample" | "default" | "edge";
  /** What to compare with instead of the key's absence (the value without its bad part). */
  readonly reference?: string;
}

function launcherInput(
  overrides: [string, string][],
  env: Record<string, string> = ENV,
): ConfigInput {
  return { files: [], env, overrides, executableName: "/bin/true", hostname: "worker-1" };
}

function context(spec: KeySpec | undefined): [string, string][] {
  return spec?.mode ? [["retrievalMode", spec.mode]] : [];
}

function sample(key: string, spec: KeySpec): string {
  if (spec.sample !== undefined) return spec.sample;
  const type = spec.type;
  if (Array.isArray(type)) return type.find((v) => v !== spec.kclDefault)!;
  switch (type) {
    case "int":
    case "long": {
      const d = Number(spec.kclDefault);
      if (spec.kclDefault === "" || !Number.isFinite(d)) return "7000";
      return String(d >= 4 ? Math.floor(d / 2) : d + 2);
    }
    case "boolean":
      return spec.kclDefault === "true" ? "false" : "true";
    case "url":
      return "http://127.0.0.1:4567";
    case "region":
      return "eu-central-1";
    case "string":
      return key === "executableName" ? "/bin/echo" : `sample-${key.replace(".", "-")}`;
    default:
      throw new Error(`no sample for ${key}`);
  }
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const [key, spec] of Object.entries(KEYS)) {
    const value = sample(key, spec);
    const env = key === "streamArn" ? { ...ENV, STREAM_NAME: "" } : ENV;
    all.push({
      name: `${key} = ${value}`,
      input: launcherInput([...context(spec), [key, value]], env),
      key,
      value,
      kind: "sample",
    });
    const defaultValue = spec.kclDefault;
    const concrete = resolveConfig(launcherInput([...context(spec), [key, defaultValue]]));
    const typed = Array.isArray(spec.type) || VALUE_DEFAULTS.has(spec.type as string);
    if (typed && defaultValue !== "" && concrete.errors.length === 0 && !DEFAULT_UNCHECKED[key]) {
      all.push({
        name: `${key} = ${defaultValue} (KCL default)`,
        input: launcherInput([...context(spec), [key, defaultValue]]),
        key,
        value: concrete.properties.get(key) ?? defaultValue,
        kind: "default",
      });
    }
  }
  for (const provider of CREDENTIALS_PROVIDERS) {
    // The STS providers build an STS client: without AWS_REGION here, they need endpointRegion.
    const value = provider.includes("Sts")
      ? `${provider}|arn:aws:iam::123456789012:role/r|session|endpointRegion=us-east-1`
      : provider;
    all.push({
      name: `AwsCredentialsProvider = ${value}`,
      input: launcherInput([["AwsCredentialsProvider", value]]),
      key: "AwsCredentialsProvider",
      value,
      kind: "sample",
    });
  }
  const edge = (key: string, value: string, extra: [string, string][] = [], reference?: string) =>
    all.push({
      ...(reference === undefined ? {} : { reference }),
      name: `${key} = ${value}${
        extra.length ? ` with ${extra.map((e) => e.join("=")).join(", ")}` : ""
      }`,
      input: launcherInput([...extra, [key, value]]),
      key,
      value,
      kind: "edge",
    });
  for (const [key, spec] of Object.entries(KEYS)) {
    const javaDefault = spec.type === "boolean" ? "false" : "0";
    if (spec.primitive && spec.kclDefault !== javaDefault) edge(key, javaDefault, context(spec));
    if (spec.type === "int") edge(key, "2147483648", context(spec));
    if (spec.type === "long") edge(key, "9223372036854775808", context(spec));
    if (spec.type === "double") edge(key, "0x10", context(spec));
    if (spec.mode) {
      edge(key, sample(key, spec), [[
        "retrievalMode",
        spec.mode === "POLLING" ? "FANOUT" : "POLLING",
      ]]);
    }
  }
  edge("timeoutInSeconds", "0");
  edge("timeoutInSeconds", "-1");
  edge("shutdownGraceMillis", "0");
  edge("shutdownGraceMillis", "-1");
  edge("maxRecords", "10001", [["retrievalMode", "POLLING"]]);
  edge("shardPrioritization", "NoOpShardPrioritization");
  edge("processingLanguage", "typescript");
  edge("validateSequenceNumberBeforeCheckpointing", "true");
  edge("fanoutConfig.consumerNmae", "c", [["retrievalMode", "FANOUT"]]);
  edge("kinesisClient.nonsense", "x");
  edge("maxrecords", "500", [["retrievalMode", "POLLING"]]);
  edge("RetrievalMode", "POLLING");
  edge("staleWorkerMetricsEntryCleanupDuration", "2h");
  edge("staleWorkerMetricsEntryCleanupDuration", "-PT1H");
  edge("AwsCredentialsProviderDynamoDB", "StaticCredentialsProvider");
  edge(
    "AwsCredentialsProviderCloudWatch",
    "EnvironmentVariableCredentialsProvider,EnviromentVariableCredentialsProvider",
    [],
    "EnvironmentVariableCredentialsProvider",
  );
  edge("metricsEnabledDimensions", "Operation,Shardid");
  edge("workerMetricsTags", "team");
  edge("coordinatorStateTags", "a=b=c");
  all.push({
    name: "streamArn in another region than regionName",
    input: launcherInput([], {
      ...ENV,
      STREAM_NAME: "",
      STREAM_ARN: ARN.replace("us-east-1", "eu-west-1"),
    }),
    key: "streamArn",
    value: ARN.replace("us-east-1", "eu-west-1"),
    kind: "edge",
    // KinesisClientLibConfigurator keeps only the stream name: the ARN's region is ignored, and
    // the daemon reads "orders" in regionName (us-east-1).
    reference: ARN,
  });
  return all;
}

/** The properties the daemon gets for a case, and without the key under test. */
function daemonProperties(c: Case): { withKey: Map<string, string>; without: Map<string, string> } {
  const config = resolveConfig(c.input);
  if (c.kind !== "edge") {
    deepStrictEqual(config.errors, [], `the launcher rejects ${c.name}`);
    const without = new Map(config.properties);
    without.delete(c.key);
    return { withKey: config.properties, without };
  }
  ok(config.errors.length > 0, `the launcher accepts ${c.name}`);
  // The daemon gets what the launcher would write without the edge value, plus the value as is.
  const base = resolveConfig({
    ...c.input,
    env: c.key === "streamArn" ? ENV : c.input.env,
    overrides: c.input.overrides.filter(([key]) => key !== c.key),
  });
  deepStrictEqual(base.errors, [], `the context of ${c.name}`);
  const without = new Map(base.properties);
  without.delete(c.key);
  if (c.key === "streamArn") without.delete("streamName");
  const withKey = new Map(without);
  withKey.set(c.key, c.value);
  if (c.reference !== undefined) without.set(c.key, c.reference);
  return { withKey, without };
}

interface Outcome {
  readonly status: string;
  readonly dump: Map<string, string>;
}

async function probe(texts: Map<string, string>): Promise<Map<string, Outcome>> {
  const classes = await Deno.makeTempDir({ prefix: "kclts-probe-" });
  try {
    const javac = await new Deno.Command("javac", {
      args: ["-nowarn", "-d", classes, "-cp", JAR, PROBE],
      stdout: "piped",
      stderr: "piped",
    }).output();
    ok(javac.success, new TextDecoder().decode(javac.stderr));
    const child = new Deno.Command("java", {
      args: ["-cp", `${JAR}:${classes}`, "DaemonConfigProbe"],
      // No AWS settings from this machine: a missing region or key must show.
      env: { PATH: Deno.env.get("PATH") ?? "", HOME: classes, SYLVITE_LOG_LEVEL: "OFF" },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let input = "";
    for (const [id, text] of texts) input += `CASE ${id}\n${text}END\n`;
    // Read while writing: both pipes fill up, and a blocked writer would wait for ever.
    const collected = child.output();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
    const output = await collected;
    const stdout = new TextDecoder().decode(output.stdout);
    ok(output.success, new TextDecoder().decode(output.stderr).slice(-4000));
    const outcomes = new Map<string, { status: string; dump: Map<string, string> }>();
    for (const line of stdout.split("\n")) {
      if (line === "") continue;
      const [id, path, ...rest] = line.split("\t");
      const value = rest.join("\t");
      const outcome = outcomes.get(id!) ?? { status: "", dump: new Map() };
      if (path === "STATUS") outcome.status = value;
      else outcome.dump.set(path!, value);
      outcomes.set(id!, outcome);
    }
    return outcomes;
  } finally {
    await Deno.remove(classes, { recursive: true });
  }
}

/**
 * applied: the configuration changes; mangled: it changes, but no changed value is the number
 * written (BeanUtils turns what Java cannot parse into 0); ignored: nothing changes; refused:
 * the daemon stops.
 */
type Verdict = "applied" | "mangled" | "ignored" | "refused";

function verdict(
  withKey: Outcome,
  without: Outcome,
  value: string,
): { verdict: Verdict; where: string } {
  if (withKey.status !== "ok") return { verdict: "refused", where: withKey.status };
  if (without.status !== "ok") return { verdict: "applied", where: `required (${without.status})` };
  const changed = [...new Set([...withKey.dump.keys(), ...without.dump.keys()])]
    .filter((path) => withKey.dump.get(path) !== without.dump.get(path));
  if (changed.length === 0) return { verdict: "ignored", where: "" };
  const where = changed.slice(0, 2).map((path) => `${path} = ${withKey.dump.get(path)}`).join(", ");
  const numeric = /^[+-]?\d+$/.test(value);
  const asWritten = changed.some((path) => withKey.dump.get(path)?.includes(value));
  return { verdict: numeric && !asWritten ? "mangled" : "applied", where };
}

Deno.test({
  name:
    "4: every key the launcher accepts is applied by the daemon; every value it rejects is ignored or refused",
  // The probe runs one JVM for every case; the sanitizers only see the child process.
  async fn() {
    try {
      await Deno.stat(JAR);
    } catch {
      fail(`${JAR} is missing: build it with "mvn -B -f sylvite/pom.xml package"`);
    }
    const all = cases();
    const texts = new Map<string, string>();
    const ids = new Map<string, string>();
    const idOf = (properties: Map<string, string>) => {
      const text = renderProperties(properties);
      let id = ids.get(text);
      if (id === undefined) {
        id = `p${ids.size}`;
        ids.set(text, id);
        texts.set(id, text);
      }
      return id;
    };
    const pairs = all.map((c) => {
      const { withKey, without } = daemonProperties(c);
      return { c, withId: idOf(withKey), withoutId: idOf(without) };
    });
    const outcomes = await probe(texts);

    const problems: string[] = [];
    const zero = () => ({ applied: 0, mangled: 0, ignored: 0, refused: 0 });
    const totals = { sample: zero(), default: zero(), edge: zero() };
    const lines: string[] = [];
    for (const { c, withId, withoutId } of pairs) {
      const result = verdict(outcomes.get(withId)!, outcomes.get(withoutId)!, c.value);
      totals[c.kind][result.verdict]++;
      lines.push(`${c.kind.padEnd(7)} ${result.verdict.padEnd(7)} ${c.name}  ${result.where}`);
      const harmful = HARMFUL[`${c.key}=${c.value}`];
      if (c.kind === "sample" && result.verdict !== "applied") {
        // (a sample is applied as written: "mangled" counts as a failure here)
        problems.push(
          `${c.name}: the launcher accepts it, the daemon ${result.verdict} it ${result.where}`,
        );
      }
      if (c.kind === "default" && result.verdict !== "ignored") {
        problems.push(`${c.name}: the table's KCL default is not the daemon's (${result.where})`);
      }
      if (c.kind === "edge" && result.verdict === "applied" && !harmful) {
        problems.push(
          `${c.name}: the launcher rejects it, the daemon applies it (${result.where})`,
        );
      }
      if (c.kind === "edge" && harmful && result.verdict !== "applied") {
        problems.push(`${c.name}: listed as harmful, but the daemon ${result.verdict} it`);
      }
    }
    const out = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));
    out(lines.join("\n") + "\n");
    out(
      `conformance: ${Object.keys(KEYS).length} keys accepted by the launcher; with a sample ` +
        `value: ${totals.sample.applied} applied, ${totals.sample.mangled} mangled, ` +
        `${totals.sample.ignored} ignored, ${totals.sample.refused} refused by the daemon; set to ` +
        `the table's KCL default: ${totals.default.ignored} unchanged, ` +
        `${totals.default.applied + totals.default.mangled + totals.default.refused} changed; ` +
        `${
          totals.edge.applied + totals.edge.mangled + totals.edge.ignored + totals.edge.refused
        } ` +
        `values the launcher rejects: ${totals.edge.ignored} ignored, ${totals.edge.refused} ` +
        `refused, ${totals.edge.mangled} mangled to another value, ${totals.edge.applied} applied ` +
        `but harmful (${Object.keys(HARMFUL).length} listed)\n`,
    );
    deepStrictEqual(problems, []);
  },
});
