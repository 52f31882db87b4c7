import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  createTableInput,
  LEASE_OWNER_INDEX,
  type ProvisionOptions,
  provisionRequests,
  schemaDifferences,
  settingDifferences,
  tableSpecs,
} from "../src/launcher/tables.ts";
import { parseProvisionArgs } from "../src/launcher/provision.ts";

const ON_DEMAND: ProvisionOptions = {
  billing: { mode: "PAY_PER_REQUEST" },
  tags: [],
  pointInTimeRecovery: false,
  deletionProtection: false,
};

const app = (extra: [string, string][] = []) =>
  tableSpecs(new Map([["applicationName", "orders-app"], ...extra]));

Deno.test("tableSpecs() names the three tables as KCL 3.1.3 does, overrides included", () => {
  deepStrictEqual(app().map((s) => [s.role, s.name]), [
    ["lease", "orders-app"],
    ["coordinatorState", "orders-app-CoordinatorState"],
    ["workerMetrics", "orders-app-WorkerMetricStats"],
  ]);
  deepStrictEqual(
    app([
      ["tableName", "leases"],
      ["coordinatorStateTableName", "coord"],
      ["workerMetricsTableName", "metrics"],
    ]).map((s) => [s.name, s.nameFrom]),
    [
      ["leases", "tableName"],
      ["coord", "coordinatorStateTableName"],
      ["metrics", "workerMetricsTableName"],
    ],
  );
  throws(() => tableSpecs(new Map()), /applicationName is required/);
});

Deno.test("the lease table: hash leaseKey (S), index LeaseOwnerToLeaseKeyIndex (leaseOwner, leaseKey, KEYS_ONLY), on demand", () => {
  const input = createTableInput(app()[0]!, ON_DEMAND);
  deepStrictEqual(input, {
    TableName: "orders-app",
    AttributeDefinitions: [
      { AttributeName: "leaseKey", AttributeType: "S" },
      { AttributeName: "leaseOwner", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "leaseKey", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [{
      IndexName: LEASE_OWNER_INDEX,
      KeySchema: [
        { AttributeName: "leaseOwner", KeyType: "HASH" },
        { AttributeName: "leaseKey", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "KEYS_ONLY" },
    }],
    BillingMode: "PAY_PER_REQUEST",
    DeletionProtectionEnabled: false,
  });
  strictEqual(LEASE_OWNER_INDEX, "LeaseOwnerToLeaseKeyIndex");
});

Deno.test("CoordinatorState (hash key: S) and WorkerMetricStats (hash wid: S) have no index", () => {
  const [, coordinator, metrics] = app().map((spec) => createTableInput(spec, ON_DEMAND));
  deepStrictEqual(coordinator!.KeySchema, [{ AttributeName: "key", KeyType: "HASH" }]);
  deepStrictEqual(coordinator!.AttributeDefinitions, [{
    AttributeName: "key",
    AttributeType: "S",
  }]);
  deepStrictEqual(metrics!.KeySchema, [{ AttributeName: "wid", KeyType: "HASH" }]);
  deepStrictEqual(metrics!.AttributeDefinitions, [{ AttributeName: "wid", AttributeType: "S" }]);
  strictEqual(coordinator!.GlobalSecondaryIndexes, undefined);
  strictEqual(metrics!.GlobalSecondaryIndexes, undefined);
});

Deno.test("a team's settings: provisioned (the index too, as KCL), tags, KMS, deletion protection, then PITR", () => {
  const options: ProvisionOptions = {
    billing: { mode: "PROVISIONED", read: 5, write: 3 },
    tags: [["team", "payments"], ["env", "prod"]],
    kmsKey: "alias/kcl",
    pointInTimeRecovery: true,
    deletionProtection: true,
  };
  const requests = provisionRequests(app(), options);
  deepStrictEqual(requests.map((r) => `${r.operation} ${r.input.TableName}`), [
    "CreateTable orders-app",
    "CreateTable orders-app-CoordinatorState",
    "CreateTable orders-app-WorkerMetricStats",
    "UpdateContinuousBackups orders-app",
    "UpdateContinuousBackups orders-app-CoordinatorState",
    "UpdateContinuousBackups orders-app-WorkerMetricStats",
  ]);
  const lease = requests[0]!.input;
  const throughput = { ReadCapacityUnits: 5, WriteCapacityUnits: 3 };
  strictEqual(lease.BillingMode, "PROVISIONED");
  deepStrictEqual(lease.ProvisionedThroughput, throughput);
  deepStrictEqual(lease.GlobalSecondaryIndexes[0].ProvisionedThroughput, throughput);
  deepStrictEqual(lease.SSESpecification, {
    Enabled: true,
    SSEType: "KMS",
    KMSMasterKeyId: "alias/kcl",
  });
  deepStrictEqual(lease.Tags, [{ Key: "team", Value: "payments" }, { Key: "env", Value: "prod" }]);
  strictEqual(lease.DeletionProtectionEnabled, true);
  deepStrictEqual(requests[3]!.input.PointInTimeRecoverySpecification, {
    PointInTimeRecoveryEnabled: true,
  });
});

Deno.test("schemaDifferences(): a fitting table has none; each wrong part is named", () => {
  const [lease, coordinator] = app();
  const good = createTableInput(lease!, ON_DEMAND);
  deepStrictEqual(schemaDifferences(lease!, good), []);
  // Another projection still holds the keys: not a schema difference.
  deepStrictEqual(
    schemaDifferences(lease!, {
      ...good,
      GlobalSecondaryIndexes: [{
        ...good.GlobalSecondaryIndexes[0],
        Projection: { ProjectionType: "ALL" },
      }],
    }),
    [],
  );
  deepStrictEqual(
    schemaDifferences(lease!, {
      KeySchema: [{ AttributeName: "leaseKey", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "leaseKey", AttributeType: "N" }],
      GlobalSecondaryIndexes: [],
    }),
    [
      "key schema is leaseKey (HASH, N); KCL needs leaseKey (HASH, S)",
      "the index LeaseOwnerToLeaseKeyIndex is missing (a KCL 2.x lease table?); KCL 3.x needs it (hash leaseOwner, range leaseKey, KEYS_ONLY)",
    ],
  );
  deepStrictEqual(
    schemaDifferences(lease!, {
      ...good,
      GlobalSecondaryIndexes: [{
        IndexName: LEASE_OWNER_INDEX,
        KeySchema: [{ AttributeName: "leaseOwner", KeyType: "HASH" }],
      }],
    }),
    [
      "the index LeaseOwnerToLeaseKeyIndex has keys leaseOwner (HASH, S); KCL needs leaseOwner (HASH, S), leaseKey (RANGE, S)",
    ],
  );
  deepStrictEqual(
    schemaDifferences(coordinator!, {
      KeySchema: [
        { AttributeName: "key", KeyType: "HASH" },
        { AttributeName: "at", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "key", AttributeType: "S" },
        { AttributeName: "at", AttributeType: "N" },
      ],
    }),
    ["key schema is key (HASH, S), at (RANGE, N); KCL needs key (HASH, S)"],
  );
});

Deno.test("settingDifferences(): billing, capacity, KMS, deletion protection, projection", () => {
  const [lease] = app();
  const asked: ProvisionOptions = {
    billing: { mode: "PROVISIONED", read: 5, write: 3 },
    tags: [],
    kmsKey: "alias/kcl",
    pointInTimeRecovery: false,
    deletionProtection: true,
  };
  const good = createTableInput(lease!, ON_DEMAND);
  deepStrictEqual(
    settingDifferences(
      lease!,
      { ...good, BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" } },
      asked,
    ),
    [
      "billing is PAY_PER_REQUEST, not PROVISIONED",
      "it is not encrypted with a KMS key (wanted alias/kcl)",
      "deletion protection is off",
    ],
  );
  deepStrictEqual(
    settingDifferences(lease!, {
      ...good,
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
      SSEDescription: {
        Status: "ENABLED",
        SSEType: "KMS",
        KMSMasterKeyArn: "arn:aws:kms:r:1:key/k",
      },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: [{
        ...good.GlobalSecondaryIndexes[0],
        Projection: { ProjectionType: "ALL" },
      }],
    }, asked),
    [
      "capacity is 1 read / 1 write, not 5 / 3",
      "it is encrypted with arn:aws:kms:r:1:key/k, not alias/kcl",
      "the index LeaseOwnerToLeaseKeyIndex projects ALL, not KEYS_ONLY",
    ],
  );
});

Deno.test("parseProvisionArgs() takes its options and leaves the launcher's", () => {
  const parsed = parseProvisionArgs([
    "--billing-mode=provisioned",
    "--read-capacity=10",
    "--write-capacity=5",
    "--tag=team=a=b",
    "--sse-kms-key=alias/k",
    "--pitr",
    "--deletion-protection",
    "--dry-run",
    "--config=properties/local.properties",
    "--tableName=leases",
  ]);
  deepStrictEqual(parsed.options, {
    billing: { mode: "PROVISIONED", read: 10, write: 5 },
    tags: [["team", "a=b"]],
    kmsKey: "alias/k",
    pointInTimeRecovery: true,
    deletionProtection: true,
  });
  strictEqual(parsed.dryRun, true);
  deepStrictEqual(parsed.rest, ["--config=properties/local.properties", "--tableName=leases"]);
  deepStrictEqual(parseProvisionArgs([]).options.billing, { mode: "PAY_PER_REQUEST" });
  deepStrictEqual(parseProvisionArgs(["--billing-mode=PAY_PER_REQUEST"]).options.billing, {
    mode: "PAY_PER_REQUEST",
  });
});

Deno.test("parseProvisionArgs() rejects what DynamoDB would, with the reason", () => {
  const cases: [string[], RegExp][] = [
    [["--billing-mode=provisioned"], /needs --read-capacity=N and --write-capacity=N/],
    [["--read-capacity=5"], /need --billing-mode=provisioned/],
    [
      ["--billing-mode=provisioned", "--read-capacity=0", "--write-capacity=1"],
      /--read-capacity must be a whole number .* >= 1: got "0"/,
    ],
    [["--billing-mode=provisioned", "--read-capacity=1.5", "--write-capacity=1"], /got "1.5"/],
    [["--billing-mode=free"], /must be on-demand or provisioned: got "free"/],
    [["--tag=novalue"], /--tag must be KEY=VALUE/],
    [["--tag==v"], /--tag must be KEY=VALUE/],
    [["--tag=a=1", "--tag=a=2"], /"a" is given twice/],
    [["--tag=" + "k".repeat(129) + "=v"], /at most 128/],
    [["--sse-kms-key="], /--sse-kms-key needs a value/],
    [["--pitr=yes"], /--pitr takes no value/],
  ];
  for (const [args, message] of cases) {
    throws(() => parseProvisionArgs(args), message, args.join(" "));
  }
});

Deno.test("deploy/iam-policy-provision.json allows every DynamoDB call provision makes, on the three tables", async () => {
  const root = new URL("../", import.meta.url);
  const policy = JSON.parse(
    await Deno.readTextFile(new URL("deploy/iam-policy-provision.json", root)),
  );
  const source = await Deno.readTextFile(new URL("src/launcher/provision.ts", root));
  const calls = [...source.matchAll(/new sdk\.(\w+)Command\(/g)].map((m) => `dynamodb:${m[1]}`);
  const [statement] = policy.Statement;
  deepStrictEqual(
    [...new Set(calls)].sort(),
    ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateContinuousBackups"],
  );
  // Tags given to CreateTable are authorized as dynamodb:TagResource as well.
  deepStrictEqual(
    [...statement.Action].sort(),
    [...calls, "dynamodb:TagResource"].filter((a, i, all) => all.indexOf(a) === i).sort(),
  );
  deepStrictEqual(
    statement.Resource,
    app().map((spec) =>
      `arn:aws:dynamodb:REGION:ACCOUNT:table/${spec.name.replace("orders-app", "APP")}`
    ),
  );
});

Deno.test("the AWS SDK is loaded only by provision, when it sends requests: never in child mode", async () => {
  const root = new URL("../", import.meta.url);
  const mentions: string[] = [];
  const walk = async (dir: URL, path: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const relative = `${path}${entry.name}`;
      if (entry.isDirectory) await walk(new URL(`${entry.name}/`, dir), `${relative}/`);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(new URL(entry.name, dir));
        if (text.includes("@aws-sdk/")) mentions.push(relative);
      }
    }
  };
  await walk(new URL("src/", root), "src/");
  deepStrictEqual(mentions, ["src/launcher/provision.ts"]);
  const provision = await Deno.readTextFile(new URL("src/launcher/provision.ts", root));
  strictEqual(/^import[^;]*@aws-sdk/m.test(provision), false, "no static import of the SDK");
  const main = await Deno.readTextFile(new URL("src/launcher/main.ts", root));
  strictEqual(/^import[^;]*provision\.ts/m.test(main), false, "main.ts loads provision.ts lazily");
  strictEqual(main.includes('await import("./provision.ts")'), true);
});
