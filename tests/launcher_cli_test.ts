import { ok, strictEqual } from "node:assert/strict";
import { parseProperties } from "../src/launcher/properties.ts";
import { launcher, ROOT } from "./_util.ts";

const GOOD = { STREAM_NAME: "orders", APPLICATION_NAME: "orders-app", AWS_REGION: "eu-west-1" };

Deno.test("properties prints the effective configuration with sources, secrets masked", async () => {
  const { code, stdout, stderr } = await launcher(
    [
      "properties",
      "--config=properties/local.properties",
      "--config=properties/local-polling.properties",
      "--maxRecords=77",
    ],
    {
      ...GOOD,
      KCL_AWS_CREDENTIALS_PROVIDER:
        "StsAssumeRoleCredentialsProvider|arn:aws:iam::123456789012:role/r|s",
      WORKER_ID: "worker-a",
    },
  );
  strictEqual(code, 0, stderr);
  const properties = new Map(parseProperties(stdout).map((e) => [e.key, e.value]));
  strictEqual(properties.get("streamName"), "orders");
  strictEqual(properties.get("maxRecords"), "77");
  strictEqual(properties.get("workerId"), "worker-a");
  strictEqual(properties.get("retrievalMode"), "POLLING");
  strictEqual(
    properties.get("AwsCredentialsProvider"),
    "StsAssumeRoleCredentialsProvider|****|****",
  );
  ok(!stdout.includes("123456789012"));
  const executable = properties.get("executableName") ?? "";
  ok(
    executable.includes(
      " run --allow-env --allow-read --allow-run --allow-write --allow-net --allow-sys=hostname,uid --no-prompt --v8-flags=--max-semi-space-size=2,--heap-growing-percent=10 ",
    ),
    executable,
  );
  ok(executable.endsWith("/processor.ts"), executable);
  ok(stdout.includes("# from environment STREAM_NAME"));
  ok(stdout.includes("# from --maxRecords"));
});

Deno.test("launch with a bad configuration explains every problem, starts nothing, exits 2", async () => {
  const { code, stderr } = await launcher(["launch", "--retrievalMod=POLLING"], {
    APPLICATION_NAME: "orders-app",
    AWS_REGION: "eu-west-1",
    KCL_MAX_RECORDS: "ten\nexecutableName=/bin/sh",
    // A Java that would leave a mark if it were run.
    KCLTS_JAVA: "/nonexistent/java-must-not-run",
  });
  strictEqual(code, 2);
  ok(stderr.includes('unknown property "retrievalMod" (did you mean "retrievalMode"?)'), stderr);
  ok(stderr.includes("The stream is required: set STREAM_NAME"), stderr);
  ok(stderr.includes("contains a newline or control character"), stderr);
  ok(stderr.includes("nothing was started"), stderr);
  ok(!stderr.includes("starting the KCL daemon"), stderr);
});

Deno.test("launch without Java says so and exits 2", async () => {
  const { code, stderr } = await launcher(["launch"], {
    ...GOOD,
    KCLTS_JAR: `${ROOT}/deno.json`,
    KCLTS_JAVA: "/nonexistent/bin/java",
  });
  strictEqual(code, 2);
  ok(stderr.includes('cannot start "/nonexistent/bin/java"'), stderr);
});

Deno.test("launch without the jar says how to build it and exits 2", async () => {
  const { code, stderr } = await launcher(["launch"], {
    ...GOOD,
    KCLTS_JAR: "/nonexistent/sylvite.jar",
  });
  strictEqual(code, 2);
  ok(stderr.includes("sylvite.jar not found"), stderr);
  ok(stderr.includes(`deno run -A ${ROOT}/local.ts jar`), stderr);
});

Deno.test("launch --help documents the configuration layers", async () => {
  const { code, stdout } = await launcher(["launch", "--help"], {});
  strictEqual(code, 0);
  ok(stdout.includes("KCL_<KEY_IN_UPPER_SNAKE_CASE>"));
  ok(stdout.includes("--config=FILE"));
});

Deno.test("3.8: launch checks the children's settings before it starts anything", async () => {
  const { code, stderr } = await launcher(["launch"], {
    ...GOOD,
    KCLTS_LOG_LEVEL: "verbose",
    KCLTS_TRACE: "maybe",
    CHECKPOINT_FREQ_SECONDS: "soon",
    KCLTS_JAVA: "/nonexistent/java-must-not-run",
  });
  strictEqual(code, 2, stderr);
  ok(stderr.includes("KCLTS_LOG_LEVEL must be one of"), stderr);
  ok(stderr.includes("KCLTS_TRACE must be 1 or 0"), stderr);
  ok(stderr.includes('CHECKPOINT_FREQ_SECONDS must be a whole number >= 0: got "soon"'), stderr);
  ok(stderr.includes("nothing was started"), stderr);
  ok(!stderr.includes("starting the KCL daemon"), stderr);
});

Deno.test("3.8: doctor lists the children's bad settings among its checks", async () => {
  const { code, stdout, stderr } = await launcher(["doctor"], {
    ...GOOD,
    KCLTS_LOG_FORMAT: "xml",
    RECORDS_PER_CHECKPOINT: "-1",
    KCLTS_JAVA: "/nonexistent/java",
    KCLTS_JAR: "/nonexistent/sylvite.jar",
    KINESIS_ENDPOINT: "http://127.0.0.1:9",
    DYNAMODB_ENDPOINT: "http://127.0.0.1:9",
  });
  strictEqual(code, 1, stderr);
  ok(/FAIL\s+config\s+KCLTS_LOG_FORMAT must be "text" or "json"/.test(stdout), stdout);
  ok(/FAIL\s+config\s+RECORDS_PER_CHECKPOINT must be a whole number/.test(stdout), stdout);
});
