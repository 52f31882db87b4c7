/**
 * The launcher agrees with the daemon (issue 8, sections 3 and 7): every
 * setting the KCL 3.1.3 MultiLangDaemon would ignore, refuse or misread is an
 * error before anything starts. What the daemon does with each value is
 * checked against the daemon itself in `launcher_conformance_test.ts`.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { type ConfigInput, resolveConfig } from "../src/launcher/config.ts";
import { launcherUsage } from "../src/launcher/main.ts";

const TEMPLATE = await Deno.readTextFile(new URL("../properties/kcl.properties", import.meta.url));
const LOCAL = await Deno.readTextFile(new URL("../properties/local.properties", import.meta.url));
const LOCAL_POLLING = await Deno.readTextFile(
  new URL("../properties/local-polling.properties", import.meta.url),
);
const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

const ENV = { STREAM_NAME: "orders", APPLICATION_NAME: "orders-app", AWS_REGION: "eu-west-1" };

function input(overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    files: [{ path: "properties/kcl.properties", text: TEMPLATE }],
    env: ENV,
    overrides: [],
    executableName: "/opt/kclts/processor",
    hostname: "host-1",
    ...overrides,
  };
}

function errorsOf(overrides: Partial<ConfigInput>): string[] {
  return resolveConfig(input(overrides)).errors;
}

function assertError(overrides: Partial<ConfigInput>, pattern: RegExp): void {
  const errors = errorsOf(overrides);
  ok(errors.some((e) => pattern.test(e)), `${errors.join("\n") || "(no error)"}\n  ≠ ${pattern}`);
}

function assertClean(overrides: Partial<ConfigInput>): ReturnType<typeof resolveConfig> {
  const config = resolveConfig(input(overrides));
  deepStrictEqual(config.errors, []);
  return config;
}

Deno.test("3.1: under retrievalMode = FANOUT, polling-only keys are errors naming the mode", async (t) => {
  await t.step("KCL_MAX_RECORDS under the template's FANOUT", () => {
    assertError(
      { env: { ...ENV, KCL_MAX_RECORDS: "500" } },
      /maxRecords \(from environment KCL_MAX_RECORDS\) applies only when retrievalMode is POLLING, and retrievalMode is FANOUT \(from properties\/kcl\.properties:\d+\): the daemon would ignore it/,
    );
  });
  for (
    const key of [
      "maxRecords",
      "idleTimeBetweenReadsInMillis",
      "millisBehindLatestThresholdForReducedTps",
      "retryGetRecordsInSeconds",
      "maxGetRecordsThreadPool",
    ]
  ) {
    await t.step(`--${key}`, () => {
      assertError({ overrides: [[key, "300"]] }, new RegExp(`^${key} .*retrievalMode is FANOUT`));
    });
  }
  await t.step("the reverse: fan-out keys under POLLING", () => {
    assertError(
      { overrides: [["retrievalMode", "POLLING"], ["fanoutConfig.consumerName", "c"]] },
      /fanoutConfig\.consumerName \(from --fanoutConfig\.consumerName\) applies only when retrievalMode is FANOUT, and retrievalMode is POLLING/,
    );
  });
  await t.step("DEFAULT picks POLLING once a polling key is set, as the daemon does", () => {
    const config = resolveConfig(input({
      files: [],
      overrides: [["maxRecords", "500"], ["fanoutConfig.consumerName", "c"]],
    }));
    ok(
      config.errors.some((e) =>
        /fanoutConfig\.consumerName .*retrievalMode is DEFAULT, which means POLLING because maxRecords is set/
          .test(e)
      ),
      config.errors.join("\n"),
    );
    assertClean({ files: [], overrides: [["maxRecords", "500"]] });
  });
  await t.step("POLLING with polling keys is fine (the local profile's polling overlay)", () => {
    assertClean({
      files: [
        { path: "properties/kcl.properties", text: TEMPLATE },
        { path: "properties/local.properties", text: LOCAL },
        { path: "properties/local-polling.properties", text: LOCAL_POLLING },
      ],
      overrides: [["maxRecords", "500"]],
    });
  });
});

Deno.test("3.1: the examples in --help and the README are valid under the template", () => {
  const texts = [launcherUsage({ name: "processor", version: undefined }), README];
  let checked = 0;
  for (const text of texts) {
    for (const [, name, value] of text.matchAll(/\b(KCL_[A-Z0-9_]+)=([A-Za-z0-9_.:/-]+)/g)) {
      assertClean({ env: { ...ENV, [name!]: value! } });
      checked++;
    }
    for (
      const [, key, value] of text.matchAll(
        /(?:launch|e\.g\.)[^\n]*? --([a-zA-Z][a-zA-Z0-9.]*)=([A-Za-z0-9_.:/-]+)/g,
      )
    ) {
      if (key === "config") continue;
      assertClean({ overrides: [[key!, value!]] });
      checked++;
    }
  }
  ok(checked >= 4, `only ${checked} examples found`);
});

Deno.test("3.2: shardPrioritization is not accepted (the daemon cannot convert it)", () => {
  assertError(
    { overrides: [["shardPrioritization", "NoOpShardPrioritization"]] },
    /shardPrioritization/,
  );
});

Deno.test("3.3: values outside the ranges the daemon works with are errors", async (t) => {
  const cases: [string, Partial<ConfigInput>, RegExp][] = [
    [
      "timeoutInSeconds = 0",
      { overrides: [["timeoutInSeconds", "0"]] },
      /timeoutInSeconds .*at least 1/,
    ],
    [
      "timeoutInSeconds < 0",
      { overrides: [["timeoutInSeconds", "-5"]] },
      /timeoutInSeconds .*at least 1/,
    ],
    [
      "shutdownGraceMillis = 0",
      { overrides: [["shutdownGraceMillis", "0"]] },
      /shutdownGraceMillis .*at least 1/,
    ],
    [
      "shutdownGraceMillis < 0",
      { overrides: [["shutdownGraceMillis", "-1"]] },
      /shutdownGraceMillis .*at least 1/,
    ],
    [
      "KCLTS_STOP_TIMEOUT_SECONDS = 2",
      { env: { ...ENV, KCLTS_STOP_TIMEOUT_SECONDS: "2" } },
      /KCLTS_STOP_TIMEOUT_SECONDS must be more than 2/,
    ],
    [
      "KCLTS_STOP_TIMEOUT_SECONDS = 1.5",
      { env: { ...ENV, KCLTS_STOP_TIMEOUT_SECONDS: "1.5" } },
      /KCLTS_STOP_TIMEOUT_SECONDS must be more than 2/,
    ],
    [
      "maxRecords > 10000",
      { overrides: [["retrievalMode", "POLLING"], ["maxRecords", "10001"]] },
      /maxRecords .*at most 10000/,
    ],
    [
      "an int beyond Java's int",
      { overrides: [["maxLeasesForWorker", "2147483648"]] },
      /maxLeasesForWorker .*2147483647/,
    ],
    [
      "a long beyond Java's long",
      { overrides: [["failoverTimeMillis", "9223372036854775808"]] },
      /failoverTimeMillis .*9223372036854775807/,
    ],
    ["hex for a double", { overrides: [["workerMetricsEMAAlpha", "0x10"]] }, /must be a number/],
    ["hex for an int", { overrides: [["maxLeasesForWorker", "0x10"]] }, /must be a whole number/],
    ["empty double", { overrides: [["maxThroughputPerHostKBps", ""]] }, /must be a number/],
  ];
  for (const [name, override, pattern] of cases) {
    await t.step(name, () => assertError(override, pattern));
  }
  await t.step("forms Java parses are accepted", () => {
    assertClean({ overrides: [["maxLeasesForWorker", "+7"], ["workerMetricsEMAAlpha", "5e-1"]] });
  });
});

Deno.test("3.4: a primitive key set to Java's default is skipped by the daemon: an error where KCL's default differs", async (t) => {
  for (
    const [key, value, kclDefault] of [
      ["maxLeasesForWorker", "0", "2147483647"],
      ["failoverTimeMillis", "0", "10000"],
      ["dampeningPercentage", "0", "60"],
    ]
  ) {
    await t.step(`${key} = ${value}`, () => {
      assertError(
        { overrides: [[key!, value!]] },
        new RegExp(
          `${key} .*= ${value} has no effect: the daemon skips a value equal to Java's default .*keeps KCL's default \\(${kclDefault}\\)`,
        ),
      );
    });
  }
  await t.step("cleanupLeasesUponShardCompletion: false is its only other value", () => {
    assertError(
      { overrides: [["cleanupLeasesUponShardCompletion", "false"]] },
      /cleanupLeasesUponShardCompletion cannot be set: .*false has no effect: the daemon keeps it in a primitive field and skips a value equal to Java's default \(ConfigurationSettableUtils\)/,
    );
  });
  await t.step("where KCL's default is Java's, the value is accepted", () => {
    assertClean({ overrides: [["ignoreUnexpectedChildShards", "false"]] });
  });
  await t.step("wrapper-typed keys take false", () => {
    assertClean({ overrides: [["enablePriorityLeaseAssignment", "false"]] });
  });
});

Deno.test("3.5: INITIAL_POSITION and initialPositionInStreamExtended follow the layering", () => {
  const lower = assertClean({
    files: [
      { path: "properties/kcl.properties", text: TEMPLATE },
      { path: "app.properties", text: "initialPositionInStreamExtended = 1793491200\n" },
    ],
    env: { ...ENV, INITIAL_POSITION: "LATEST" },
  });
  strictEqual(lower.properties.get("initialPositionInStream"), "LATEST");
  strictEqual(lower.properties.has("initialPositionInStreamExtended"), false);
  const higher = assertClean({
    env: { ...ENV, INITIAL_POSITION: "LATEST" },
    overrides: [["initialPositionInStreamExtended", "1793491200"]],
  });
  strictEqual(higher.properties.get("initialPositionInStreamExtended"), "1793491200");
  strictEqual(higher.properties.has("initialPositionInStream"), false);
  assertError(
    {
      files: [{
        path: "app.properties",
        text: "initialPositionInStream = LATEST\ninitialPositionInStreamExtended = 1793491200\n",
      }],
    },
    /app\.properties.* sets both initialPositionInStream and initialPositionInStreamExtended/,
  );
});

Deno.test("3.6: a STREAM_ARN in another region than AWS_REGION is an error", () => {
  assertError(
    { env: { ...ENV, STREAM_ARN: "arn:aws:kinesis:us-west-2:123456789012:stream/orders" } },
    /streamArn .* is in us-west-2, but regionName is eu-west-1 \(from environment AWS_REGION\)/,
  );
  assertClean({
    env: { ...ENV, STREAM_ARN: "arn:aws:kinesis:eu-west-1:123456789012:stream/orders" },
  });
});

Deno.test("3.7: aliases are written once, under the canonical key; conflicting values are errors", async (t) => {
  await t.step("workerIdentifier is written as workerId, layered as workerId", () => {
    const config = assertClean({
      files: [{ path: "a.properties", text: "workerIdentifier = w-file\n" }],
      env: { ...ENV, WORKER_ID: "w-env" },
    });
    strictEqual(config.properties.get("workerId"), "w-env");
    strictEqual(config.properties.has("workerIdentifier"), false);
  });
  await t.step("kinesisClient.endpointOverride is written as kinesisEndpoint", () => {
    const config = assertClean({
      overrides: [["kinesisClient.endpointOverride", "http://127.0.0.1:4567"]],
    });
    strictEqual(config.properties.get("kinesisEndpoint"), "http://127.0.0.1:4567");
    strictEqual(config.properties.has("kinesisClient.endpointOverride"), false);
  });
  await t.step("two spellings with two values in one layer", () => {
    assertError(
      { files: [{ path: "a.properties", text: "workerId = a\nworkerIdentifier = b\n" }] },
      /a\.properties.* sets both workerId .*and workerIdentifier .*one setting of the daemon/,
    );
  });
  await t.step("regionName and kinesisClient.region differ", () => {
    assertError(
      { overrides: [["kinesisClient.region", "us-west-2"]] },
      /kinesisClient\.region .*us-west-2.* regionName .*eu-west-1/,
    );
    const same = assertClean({ overrides: [["kinesisClient.region", "eu-west-1"]] });
    strictEqual(same.properties.has("kinesisClient.region"), false);
  });
});

Deno.test("3.8: the children's own settings are checked by launch", async (t) => {
  for (
    const [name, value] of [
      ["KCLTS_LOG_LEVEL", "verbose"],
      ["KCLTS_LOG_FORMAT", "xml"],
      ["KCLTS_TRACE", "maybe"],
    ]
  ) {
    await t.step(name!, () => assertError({ env: { ...ENV, [name!]: value! } }, new RegExp(name!)));
  }
  await t.step("all at once, each reported", () => {
    const errors = errorsOf({
      env: { ...ENV, KCLTS_LOG_LEVEL: "verbose", KCLTS_LOG_FORMAT: "xml", KCLTS_TRACE: "maybe" },
    });
    for (const name of ["KCLTS_LOG_LEVEL", "KCLTS_LOG_FORMAT", "KCLTS_TRACE"]) {
      ok(errors.some((e) => e.includes(name)), `${name}: ${errors.join("\n")}`);
    }
  });
  await t.step("the processor's declared settings", () => {
    assertError(
      { childErrors: ['CHECKPOINT_FREQ_SECONDS must be a whole number >= 0: got "soon"'] },
      /CHECKPOINT_FREQ_SECONDS/,
    );
  });
});

Deno.test("3.9: nested keys take only the suffixes the daemon knows; text values are checked", async (t) => {
  const cases: [string, [string, string][], RegExp][] = [
    [
      "fanoutConfig.typo",
      [["fanoutConfig.consumerNmae", "c"]],
      /unknown property "fanoutConfig\.consumerNmae" \(did you mean "fanoutConfig\.consumerName"\?\)/,
    ],
    [
      "kinesisClient.typo",
      [["kinesisClient.nonsense", "x"]],
      /unknown property "kinesisClient\.nonsense"/,
    ],
    [
      "a malformed duration",
      [["staleWorkerMetricsEntryCleanupDuration", "2h"]],
      /staleWorkerMetricsEntryCleanupDuration .*ISO-8601 duration/,
    ],
    [
      "a negative duration",
      [["staleWorkerMetricsEntryCleanupDuration", "-PT1H"]],
      /staleWorkerMetricsEntryCleanupDuration .*ISO-8601 duration/,
    ],
    ["a malformed tag", [["workerMetricsTags", "team"]], /workerMetricsTags .*key=value/],
    [
      "a malformed tag list",
      [["coordinatorStateTags", "a=b,c"]],
      /coordinatorStateTags .*key=value/,
    ],
    ["a bad endpoint", [["cloudWatchClient.endpointOverride", "localhost"]], /http\(s\) URL/],
    [
      "a metric dimension KCL never emits",
      [["metricsEnabledDimensions", "Operation,Shardid"]],
      /metricsEnabledDimensions .*names "Shardid", a dimension KCL never emits \(did you mean "ShardId"\?\)/,
    ],
    [
      "a misspelt credentials provider in a chain",
      [[
        "AwsCredentialsProvider",
        "DefaultCredentialsProvider,EnviromentVariableCredentialsProvider",
      ]],
      /AwsCredentialsProvider .*names "EnviromentVariableCredentialsProvider", a credentials provider the daemon cannot build \(did you mean "EnvironmentVariableCredentialsProvider"\?\)/,
    ],
    [
      "a provider that cannot be built from text",
      [["AwsCredentialsProviderDynamoDB", "StaticCredentialsProvider"]],
      /AwsCredentialsProviderDynamoDB .*"StaticCredentialsProvider", a credentials provider the daemon cannot build/,
    ],
  ];
  for (const [name, overrides, pattern] of cases) {
    await t.step(name, () => assertError({ overrides }, pattern));
  }
  await t.step("well-formed ones pass", () => {
    assertClean({
      overrides: [
        ["staleWorkerMetricsEntryCleanupDuration", "PT2H"],
        ["workerMetricsTags", "team=a, env=prod"],
        ["fanoutConfig.consumerName", "orders-efo"],
        ["cloudWatchClient.endpointOverride", "http://127.0.0.1:4566"],
        ["AwsCredentialsProvider", "ProfileCredentialsProvider|dev, com.example.MyProvider"],
      ],
    });
  });
});

Deno.test("3.10: errors mask secrets as properties does", () => {
  const secret =
    "StsAssumeRoleCredentialsProvider|arn:aws:iam::123456789012:role/r|s|externalId=hush\n";
  const errors = errorsOf({ env: { ...ENV, KCL_AWS_CREDENTIALS_PROVIDER: secret } });
  ok(errors.length > 0);
  for (const error of errors) {
    ok(!error.includes("hush") && !error.includes("123456789012"), error);
  }
  const wrong = errorsOf({ overrides: [["kinesisEndpoint", "http://user:pw0rd@host:1\n"]] });
  ok(wrong.length > 0);
  for (const error of wrong) ok(!error.includes("pw0rd"), error);
});

Deno.test("7: a missing STREAM_NAME reports only the root cause", () => {
  const errors = errorsOf({ env: { AWS_REGION: "eu-west-1" } });
  deepStrictEqual(errors.length, 1, errors.join("\n"));
  ok(/The stream is required: set STREAM_NAME/.test(errors[0]!), errors[0]);
});

Deno.test("7: one suggestion rule for --key and KCL_* forms", async (t) => {
  const cases: [string, Partial<ConfigInput>, RegExp][] = [
    ["--maxRecrods", { overrides: [["maxRecrods", "5"]] }, /did you mean "maxRecords"\?/],
    [
      "KCL_RETRIVAL_MODE",
      { env: { ...ENV, KCL_RETRIVAL_MODE: "POLLING" } },
      /KCL_RETRIVAL_MODE.*did you mean KCL_RETRIEVAL_MODE\?/,
    ],
    [
      "KCL_MAX_RECROD",
      { env: { ...ENV, KCL_MAX_RECROD: "5" } },
      /KCL_MAX_RECROD.*did you mean KCL_MAX_RECORDS\?/,
    ],
    [
      "KCL_MAXRECORDS",
      { env: { ...ENV, KCL_MAXRECORDS: "5" } },
      /KCL_MAXRECORDS.*did you mean KCL_MAX_RECORDS\?/,
    ],
    [
      "KCL_maxRecords",
      { env: { ...ENV, KCL_maxRecords: "5" } },
      /KCL_maxRecords.*did you mean KCL_MAX_RECORDS\?/,
    ],
    ["--maxrecords", { overrides: [["maxrecords", "5"]] }, /did you mean "maxRecords"\?/],
  ];
  for (const [name, override, pattern] of cases) {
    await t.step(name, () => assertError(override, pattern));
  }
  await t.step("the exact forms work", () => {
    const config = assertClean({
      files: [],
      env: {
        ...ENV,
        KCL_MAX_RECORDS: "5",
        KCL_DYNAMO_DB_ENDPOINT: "http://127.0.0.1:1",
        KCL_MAX_THROUGHPUT_PER_HOST_KBPS: "100",
      },
    });
    strictEqual(config.properties.get("maxRecords"), "5");
    strictEqual(config.properties.get("dynamoDBEndpoint"), "http://127.0.0.1:1");
    strictEqual(config.properties.get("maxThroughputPerHostKBps"), "100");
    const nested = assertClean({ env: { ...ENV, KCL_FANOUT_CONFIG__CONSUMER_NAME: "orders-efo" } });
    strictEqual(nested.properties.get("fanoutConfig.consumerName"), "orders-efo");
  });
});
