import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { type ConfigInput, maskValue, resolveConfig } from "../src/launcher/config.ts";
import {
  canonicalKey,
  DAEMON_KEYS,
  keyFromSnakeCase,
  snakeCase,
  suggestKey,
} from "../src/launcher/keys.ts";
import { parseProperties, renderProperties } from "../src/launcher/properties.ts";

const TEMPLATE = await Deno.readTextFile(new URL("../properties/kcl.properties", import.meta.url));
const LOCAL = await Deno.readTextFile(new URL("../properties/local.properties", import.meta.url));
const LOCAL_POLLING = await Deno.readTextFile(
  new URL("../properties/local-polling.properties", import.meta.url),
);

function input(overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    files: [{ path: "properties/kcl.properties", text: TEMPLATE }],
    env: { STREAM_NAME: "orders", APPLICATION_NAME: "orders-app", AWS_REGION: "eu-west-1" },
    overrides: [],
    executableName: "/opt/kclts/processor",
    hostname: "host-1",
    ...overrides,
  };
}

Deno.test("parseProperties() reads Java properties syntax", () => {
  const text = [
    "# comment",
    "! also a comment",
    "  a = 1  ",
    "b:2",
    "c 3",
    "d=multi \\",
    "   line",
    "e = tab\\tand\\u00e9",
    "f\\ g = key with space",
    "h =",
    "i = trailing backslash \\\\",
  ].join("\n");
  deepStrictEqual(parseProperties(text).map((e) => [e.key, e.value, e.line]), [
    ["a", "1", 3],
    ["b", "2", 4],
    ["c", "3", 5],
    ["d", "multi line", 6],
    ["e", "tab\tandé", 8],
    ["f g", "key with space", 9],
    ["h", "", 10],
    ["i", "trailing backslash \\", 11],
  ]);
});

Deno.test("renderProperties() output reads back to the same values, ASCII only", () => {
  const values: [string, string][] = [
    ["executableName", "/usr/bin/deno run --allow-env /srv/processor.ts"],
    ["streamName", "orders-é"],
    ["weird key=:", " leading space and \\ backslash #!"],
    ["AwsCredentialsProvider", "ProfileCredentialsProvider|dev"],
  ];
  const text = renderProperties(values, new Map([["streamName", "from somewhere\nelse"]]));
  ok(/^[\x20-\x7e\n]*$/.test(text));
  deepStrictEqual(
    parseProperties(text).map((e) => [e.key, e.value]),
    values.map(([k, v]) => [k, v.trimEnd()]),
  );
  ok(text.includes("# from somewhere else\n"), "a comment stays on one line");
});

Deno.test("the properties templates hold only keys the daemon knows", () => {
  for (const text of [TEMPLATE, LOCAL]) {
    for (const entry of parseProperties(text)) ok(canonicalKey(entry.key), entry.key);
    // and every commented example key is a real one too
    for (const match of text.matchAll(/^#([A-Za-z.]+) = /gm)) ok(canonicalKey(match[1]!), match[1]);
  }
});

Deno.test("resolveConfig() builds the properties from the template and the environment", () => {
  const config = resolveConfig(input({
    env: {
      STREAM_NAME: "orders",
      APPLICATION_NAME: "orders-app",
      AWS_REGION: "eu-west-1",
      INITIAL_POSITION: "latest",
      KINESIS_ENDPOINT: "http://127.0.0.1:4567",
      DYNAMODB_ENDPOINT: "http://127.0.0.1:4568",
      KCL_MAX_RECORDS: "500",
      KCL_RETRIEVAL_MODE: "polling",
      KCL_DYNAMO_DB_ENDPOINT: "http://127.0.0.1:9999",
      KCLTS_STOP_TIMEOUT_SECONDS: "30",
    },
  }));
  deepStrictEqual(config.errors, []);
  const p = config.properties;
  strictEqual(p.get("streamName"), "orders");
  strictEqual(p.get("applicationName"), "orders-app");
  strictEqual(p.get("regionName"), "eu-west-1");
  strictEqual(p.get("initialPositionInStream"), "LATEST");
  strictEqual(p.get("kinesisEndpoint"), "http://127.0.0.1:4567");
  strictEqual(p.get("dynamoDBEndpoint"), "http://127.0.0.1:9999", "KCL_ wins over the short name");
  strictEqual(p.get("maxRecords"), "500");
  strictEqual(p.get("retrievalMode"), "POLLING");
  strictEqual(p.get("AwsCredentialsProvider"), "DefaultCredentialsProvider");
  strictEqual(p.get("executableName"), "/opt/kclts/processor");
  strictEqual(p.get("workerId"), "host-1");
  strictEqual(p.get("shutdownGraceMillis"), "28000");
  strictEqual(config.sources.get("maxRecords"), "environment KCL_MAX_RECORDS");
  strictEqual(config.sources.get("metricsLevel")?.startsWith("properties/kcl.properties:"), true);
});

Deno.test("resolveConfig() layers --config files and --key=value arguments (sylvite style)", () => {
  const config = resolveConfig(input({
    files: [
      { path: "properties/kcl.properties", text: TEMPLATE },
      { path: "properties/local.properties", text: LOCAL },
      { path: "properties/local-polling.properties", text: LOCAL_POLLING },
      { path: "app.properties", text: "streamName = from-file\nworkerId = w-7\n" },
    ],
    env: { APPLICATION_NAME: "a" },
    overrides: [["streamName", "from-cli"], ["maxRecords", "42"]],
  }));
  deepStrictEqual(config.errors, []);
  strictEqual(config.properties.get("streamName"), "from-cli");
  strictEqual(config.properties.get("maxRecords"), "42");
  strictEqual(config.properties.get("workerId"), "w-7", "an explicit worker id is kept");
  strictEqual(config.properties.get("regionName"), "us-east-1");
  strictEqual(config.properties.get("retrievalMode"), "POLLING");
  strictEqual(config.sources.get("streamName"), "--streamName");
});

Deno.test("resolveConfig() accepts a date or epoch seconds as INITIAL_POSITION (AT_TIMESTAMP)", () => {
  const config = resolveConfig(
    input({ env: { ...input().env, INITIAL_POSITION: "2026-11-01T00:00:00Z" } }),
  );
  deepStrictEqual(config.errors, []);
  strictEqual(config.properties.get("initialPositionInStreamExtended"), "1793491200");
  strictEqual(config.properties.has("initialPositionInStream"), false);
});

Deno.test("resolveConfig() rejects missing, unknown, mistyped and injected settings", async (t) => {
  const cases: [string, Partial<ConfigInput>, RegExp][] = [
    [
      "no stream",
      { env: { APPLICATION_NAME: "a", AWS_REGION: "r" } },
      /The stream is required: set STREAM_NAME/,
    ],
    [
      "no application and no stream",
      { env: { AWS_REGION: "r" } },
      /The stream is required/,
    ],
    [
      "no region",
      { env: { STREAM_NAME: "s", APPLICATION_NAME: "a" } },
      /The region is required: set AWS_REGION/,
    ],
    [
      "a typo in a file",
      { files: [{ path: "my.properties", text: "streamNmae = x\n" }] },
      /my\.properties:1: unknown property "streamNmae" \(did you mean "streamName"\?\); the daemon would silently ignore it/,
    ],
    [
      "a typo in KCL_",
      { env: { ...input().env, KCL_MAX_RECORD: "5" } },
      /environment KCL_MAX_RECORD: no property is called that \(did you mean KCL_MAX_RECORDS\?\)/,
    ],
    [
      "a newline in a value",
      { env: { ...input().env, STREAM_NAME: "orders\nexecutableName=/bin/sh" } },
      /environment STREAM_NAME: the value of streamName contains a newline or control character/,
    ],
    [
      "a control character in a CLI value",
      { overrides: [["applicationName", "a\u0007b"]] },
      /--applicationName: the value of applicationName contains a newline or control character/,
    ],
    [
      "a number",
      { overrides: [["maxRecords", "lots"]] },
      /maxRecords \(from --maxRecords\) must be a whole number: got "lots"/,
    ],
    ["a boolean", { overrides: [["disableWorkerMetrics", "maybe"]] }, /must be true or false/],
    [
      "an enum",
      { overrides: [["metricsLevel", "LOUD"]] },
      /must be one of NONE, SUMMARY, DETAILED/,
    ],
    [
      "a URL",
      { env: { ...input().env, KINESIS_ENDPOINT: "localhost:4566" } },
      /must be an http\(s\) URL/,
    ],
    ["an ARN", { env: { ...input().env, STREAM_ARN: "orders" } }, /is not a Kinesis stream ARN/],
    [
      "a position",
      { env: { ...input().env, INITIAL_POSITION: "yesterday-ish" } },
      /must be TRIM_HORIZON, LATEST, a date/,
    ],
    [
      "a stop timeout",
      { env: { ...input().env, KCLTS_STOP_TIMEOUT_SECONDS: "soon" } },
      /KCLTS_STOP_TIMEOUT_SECONDS must be more than 2/,
    ],
  ];
  for (const [name, override, pattern] of cases) {
    await t.step(name, () => {
      const config = resolveConfig(input(override));
      ok(
        config.errors.some((e) => pattern.test(e)),
        `${config.errors.join("\n")}\n  does not match ${pattern}`,
      );
    });
  }
});

Deno.test("resolveConfig() names the application after the stream when APPLICATION_NAME is missing", () => {
  const config = resolveConfig(input({ env: { STREAM_NAME: "orders", AWS_REGION: "eu-west-1" } }));
  deepStrictEqual(config.errors, []);
  strictEqual(config.properties.get("applicationName"), "orders-consumer");
  ok(
    config.warnings.some((w) => w.includes('APPLICATION_NAME is not set: using "orders-consumer"')),
  );
  const byArn = resolveConfig(input({
    env: {
      STREAM_ARN: "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks",
      AWS_REGION: "eu-west-1",
    },
  }));
  strictEqual(byArn.properties.get("applicationName"), "clicks-consumer");
});

Deno.test("resolveConfig() warns when executableName points elsewhere", () => {
  const config = resolveConfig(
    input({ env: { ...input().env, EXECUTABLE_NAME: "python3 app.py" } }),
  );
  deepStrictEqual(config.errors, []);
  strictEqual(config.properties.get("executableName"), "python3 app.py");
  ok(config.warnings.some((w) => w.includes('the daemon will run "python3 app.py"')));
});

Deno.test("keys: canonical spelling, snake case, suggestions", () => {
  strictEqual(canonicalKey("awscredentialsprovider"), "AwsCredentialsProvider");
  strictEqual(canonicalKey("AWSCredentialsProviderDynamoDB"), "AwsCredentialsProviderDynamoDB");
  strictEqual(
    canonicalKey("cloudWatchClient.endpointOverride"),
    "cloudWatchClient.endpointOverride",
  );
  strictEqual(canonicalKey("RetrievalMode"), undefined);
  strictEqual(
    keyFromSnakeCase("IS_GRACEFUL_LEASE_HANDOFF_ENABLED"),
    "isGracefulLeaseHandoffEnabled",
  );
  strictEqual(suggestKey("RetrievalMode"), "retrievalMode");
  strictEqual(suggestKey("somethingElseEntirely"), undefined);
  for (const key of Object.keys(DAEMON_KEYS)) {
    strictEqual(keyFromSnakeCase(snakeCase(key)), key, key);
  }
});

Deno.test("maskValue() hides credentials arguments and URL passwords", () => {
  strictEqual(
    maskValue(
      "AwsCredentialsProvider",
      "StsAssumeRoleCredentialsProvider|arn:aws:iam::1:role/r|s|externalId=x,DefaultCredentialsProvider",
    ),
    "StsAssumeRoleCredentialsProvider|****|****|****,DefaultCredentialsProvider",
  );
  strictEqual(maskValue("kinesisEndpoint", "http://user:pw@host:1"), "http://user:****@host:1");
  strictEqual(maskValue("streamName", "orders"), "orders");
});

Deno.test("local.properties sets no retrieval key (enhanced fan-out); local-polling.properties polls", () => {
  const files = [
    { path: "properties/kcl.properties", text: TEMPLATE },
    { path: "properties/local.properties", text: LOCAL },
  ];
  const fanout = resolveConfig(input({ files }));
  deepStrictEqual(fanout.errors, []);
  strictEqual(fanout.properties.get("retrievalMode"), "FANOUT");
  // The daemon ignores the polling keys under FANOUT: the FANOUT profile sets none.
  strictEqual(fanout.properties.has("maxRecords"), false);
  strictEqual(fanout.properties.has("idleTimeBetweenReadsInMillis"), false);
  const polling = resolveConfig(input({
    files: [...files, { path: "properties/local-polling.properties", text: LOCAL_POLLING }],
  }));
  deepStrictEqual(polling.errors, []);
  strictEqual(polling.properties.get("retrievalMode"), "POLLING");
  strictEqual(polling.properties.get("idleTimeBetweenReadsInMillis"), "200");
});
