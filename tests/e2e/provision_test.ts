import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { createTable, describeTable } from "../../src/local/emulators.ts";
import {
  createTableInput,
  type DescribedTable,
  provisionRequests,
  schemaDifferences,
  tableSpecs,
} from "../../src/launcher/tables.ts";
import { parseProvisionArgs } from "../../src/launcher/provision.ts";
import { cacheDir, launcher, type Output } from "../_util.ts";
import { report, uniqueName, until, World } from "./_harness.ts";

/** Runs `processor.ts provision` with the compiled binary's flags against the world's dynalite. */
async function provision(world: World, application: string, args: string[]): Promise<Output> {
  return launcher(["provision", ...args], {
    ...world.emulators.daemonEnv,
    DENO_DIR: await cacheDir(),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    STREAM_NAME: "orders",
    APPLICATION_NAME: application,
    DYNAMODB_ENDPOINT: world.emulators.dynamoEndpoint,
    KINESIS_ENDPOINT: world.emulators.kinesisEndpoint,
  });
}

Deno.test("e2e: provision creates the three KCL 3.x tables (dry run first), is idempotent, names a wrong schema, and the daemon then creates no table", async () => {
  await using world = await World.start();
  const application = uniqueName("prov");
  const options = [
    "--billing-mode=provisioned",
    "--read-capacity=4",
    "--write-capacity=2",
    "--tag=team=payments",
    "--sse-kms-key=alias/kcl-leases",
    "--deletion-protection",
  ];
  const specs = tableSpecs(new Map([["applicationName", application]]));
  const names = specs.map((s) => s.name);
  deepStrictEqual(names, [
    application,
    `${application}-CoordinatorState`,
    `${application}-WorkerMetricStats`,
  ]);

  // --dry-run: the requests, as JSON, and nothing sent.
  const dry = await provision(world, application, [...options, "--pitr", "--dry-run"]);
  strictEqual(dry.code, 0, dry.stderr);
  const expected = provisionRequests(specs, parseProvisionArgs([...options, "--pitr"]).options)
    .map(({ operation, input }) => ({ operation, input }));
  deepStrictEqual(JSON.parse(dry.stdout), expected);
  for (const name of names) {
    strictEqual(await describeTable(world.emulators.dynamoEndpoint, name), undefined, name);
  }

  // Create: the tables exist with the schema KCL 3.x needs.
  const created = await provision(world, application, options);
  strictEqual(created.code, 0, created.stderr);
  deepStrictEqual(
    created.stdout.trim().split("\n"),
    [`created   lease table ${names[0]}`, ...names.slice(1).map((n) => `created   table ${n}`)],
  );
  const lease = (await describeTable(world.emulators.dynamoEndpoint, names[0]!))!;
  deepStrictEqual(lease.KeySchema, [{ AttributeName: "leaseKey", KeyType: "HASH" }]);
  const index = (lease.GlobalSecondaryIndexes as Record<string, unknown>[])[0]!;
  strictEqual(index.IndexName, "LeaseOwnerToLeaseKeyIndex");
  deepStrictEqual(index.KeySchema, [
    { AttributeName: "leaseOwner", KeyType: "HASH" },
    { AttributeName: "leaseKey", KeyType: "RANGE" },
  ]);
  deepStrictEqual(index.Projection, { ProjectionType: "KEYS_ONLY" });
  const capacity = (t: Record<string, unknown>) => {
    const p = t.ProvisionedThroughput as Record<string, number>;
    return [p.ReadCapacityUnits, p.WriteCapacityUnits];
  };
  deepStrictEqual(capacity(lease), [4, 2]);
  deepStrictEqual(capacity(index), [4, 2], "the index gets the table's capacity, as KCL gives it");
  for (const [i, spec] of specs.entries()) {
    const table = (await describeTable(world.emulators.dynamoEndpoint, spec.name))!;
    deepStrictEqual(schemaDifferences(spec, table as DescribedTable), [], spec.name);
    deepStrictEqual(table.KeySchema, [
      { AttributeName: ["leaseKey", "key", "wid"][i], KeyType: "HASH" },
    ]);
  }

  // Again: nothing to do.
  const again = await provision(world, application, options);
  strictEqual(again.code, 0, again.stderr);
  deepStrictEqual(
    again.stdout.trim().split("\n"),
    [`exists    lease table ${names[0]}`, ...names.slice(1).map((n) => `exists    table ${n}`)],
  );

  // A lease table of another shape: an error naming the difference; the other tables are made.
  const other = uniqueName("wrong");
  const otherLease = tableSpecs(new Map([["applicationName", other]]))[0]!;
  await createTable(world.emulators.dynamoEndpoint, {
    ...createTableInput(otherLease, parseProvisionArgs([]).options),
    AttributeDefinitions: [{ AttributeName: "leaseKey", AttributeType: "N" }],
    GlobalSecondaryIndexes: undefined,
  });
  const wrong = await provision(world, other, []);
  strictEqual(wrong.code, 1, wrong.stderr);
  match(
    wrong.stderr,
    new RegExp(
      `lease table ${other} \\(applicationName\\) does not have the schema KCL 3.x needs: ` +
        "key schema is leaseKey \\(HASH, N\\); KCL needs leaseKey \\(HASH, S\\); " +
        "the index LeaseOwnerToLeaseKeyIndex is missing",
    ),
  );
  ok(wrong.stdout.includes(`created   table ${other}-CoordinatorState`), wrong.stdout);

  // The daemon on the provisioned tables: it processes records and creates no table.
  const stream = uniqueName("orders");
  await world.stream(stream, 2, application);
  const puts = await world.put(stream, 100, "provision");
  const launcher = world.launch({ stream, application, workerId: "worker-1" });
  await until(() => launcher.seen.length >= 100, 120_000, "100 records processed");
  const daemonSaid = (text: string) => launcher.lines.some((line) => line.includes(text));
  // CoordinatorStateDAO and WorkerMetricStatsDAO (KCL 3.1.3) log these when the table exists.
  ok(daemonSaid(`Skipping DDB table ${names[1]} creation as it already exists`));
  ok(daemonSaid(`Table : ${names[2]} already existing, skipping creation`));
  ok(daemonSaid("Lease table GSI LeaseOwnerToLeaseKeyIndex already exists"));
  ok(!daemonSaid(`DDB Table: ${names[1]} created`), "the daemon did not create CoordinatorState");
  ok(!daemonSaid(`Table : ${names[2]} created`), "the daemon did not create WorkerMetricStats");
  report(
    `provision: dry run ${expected.length} requests, created 3 tables, re-run exists 3, wrong schema exit 1; daemon on them: put ${puts.length}, seen ${launcher.seen.length}, no table created`,
  );
  launcher.signal("SIGTERM");
  strictEqual(await launcher.exited, 0);
});

Deno.test("e2e: provision --pitr reports a failed UpdateContinuousBackups (dynalite has none) with exit 1", async () => {
  await using world = await World.start();
  const application = uniqueName("pitr");
  const result = await provision(world, application, ["--pitr"]);
  strictEqual(result.code, 1, result.stderr);
  match(
    result.stderr,
    new RegExp(`point-in-time recovery on ${application}: UnknownOperationException`),
  );
  ok(result.stdout.includes(`created   lease table ${application}`), result.stdout);
});
