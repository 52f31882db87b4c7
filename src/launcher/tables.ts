/**
 * The three DynamoDB tables of a KCL 3.x application, as KCL 3.1.3 creates them, and the requests
 * that create them with a team's own settings (billing, tags, KMS encryption, point-in-time
 * recovery, deletion protection). Pure: `provision.ts` sends the requests; the emulator tools
 * create the lease table from the same definitions.
 *
 * What KCL 3.1.3 creates (checked in its source):
 * - the lease table (`tableName`, default `applicationName`): hash key `leaseKey` (S)
 *   (`DynamoDBLeaseSerializer.getKeySchema`/`getAttributeDefinitions`), then the index
 *   `LeaseOwnerToLeaseKeyIndex`, hash `leaseOwner` (S), range `leaseKey` (S), projection
 *   `KEYS_ONLY`, with the table's provisioned throughput when the table is provisioned
 *   (`DynamoDBLeaseRefresher.createLeaseOwnerToLeaseKeyIndexIfNotExists`, an UpdateTable after
 *   the CreateTable; here the index is part of the CreateTable, with the same result);
 * - `<applicationName>-CoordinatorState` (or `coordinatorStateTableName`): hash key `key` (S)
 *   (`CoordinatorStateDAO.getRequest`);
 * - `<applicationName>-WorkerMetricStats` (or `workerMetricsTableName`): hash key `wid` (S)
 *   (`WorkerMetricStats.getKeySchema`, created by `WorkerMetricStatsDAO` through
 *   `DdbUtil.tableCreator`).
 *
 * KCL creates all three on demand (`PAY_PER_REQUEST`, `DdbTableConfig`'s default), with
 * `DeletionProtectionEnabled` and tags from its configuration, no `SSESpecification` (the AWS
 * owned key), and point-in-time recovery through a later `UpdateContinuousBackups`.
 *
 * @example The requests for an application, on demand, with a tag
 * ```ts
 * import { provisionRequests, tableSpecs } from "./tables.ts";
 *
 * const specs = tableSpecs(new Map([["applicationName", "orders-consumer"]]));
 * const requests = provisionRequests(specs, {
 *   billing: { mode: "PAY_PER_REQUEST" },
 *   tags: [["team", "payments"]],
 *   pointInTimeRecovery: false,
 *   deletionProtection: true,
 * });
 * if (requests[0]?.input.TableName !== "orders-consumer") throw new Error("the lease table first");
 * ```
 *
 * @module
 */

/** The index KCL 3.x queries to find a worker's leases. */
export const LEASE_OWNER_INDEX = "LeaseOwnerToLeaseKeyIndex";

/** Which of the three tables. */
export type TableRole = "lease" | "coordinatorState" | "workerMetrics";

/** A key attribute: its name and DynamoDB scalar type. */
export interface KeyAttribute {
  /** The attribute's name. */
  readonly name: string;
  /** `S` (string), `N` (number) or `B` (binary). */
  readonly type: "S" | "N" | "B";
}

/** A global secondary index KCL needs. */
export interface IndexSpec {
  /** Its name. */
  readonly name: string;
  /** Its hash key. */
  readonly hash: KeyAttribute;
  /** Its range key. */
  readonly range: KeyAttribute;
  /** Its projection. */
  readonly projection: "KEYS_ONLY";
}

/** One table as KCL 3.x expects it. */
export interface TableSpec {
  /** Which table. */
  readonly role: TableRole;
  /** Its name. */
  readonly name: string;
  /** Where the name came from, for messages. */
  readonly nameFrom: string;
  /** Its hash key (none of KCL's tables has a range key). */
  readonly hash: KeyAttribute;
  /** Its index, if it has one. */
  readonly index?: IndexSpec;
}

/** Billing: on demand, or provisioned with read and write capacity units. */
export type Billing =
  | { readonly mode: "PAY_PER_REQUEST" }
  | { readonly mode: "PROVISIONED"; readonly read: number; readonly write: number };

/** The settings a team applies to all three tables. */
export interface ProvisionOptions {
  /** On demand or provisioned. */
  readonly billing: Billing;
  /** Tags, as key/value pairs. */
  readonly tags: readonly (readonly [string, string])[];
  /** A KMS key (id, ARN or alias) for server-side encryption; unset: the AWS owned key. */
  readonly kmsKey?: string;
  /** Turn point-in-time recovery on after creating. */
  readonly pointInTimeRecovery: boolean;
  /** Create with deletion protection. */
  readonly deletionProtection: boolean;
}

/** A request in the DynamoDB API's own JSON shape (also the AWS SDK's input shape). */
export interface TableRequest {
  /** `CreateTable` or `UpdateContinuousBackups`. */
  readonly operation: "CreateTable" | "UpdateContinuousBackups";
  /** Which table it is for. */
  readonly role: TableRole;
  /** The request body. */
  // deno-lint-ignore no-explicit-any
  readonly input: Record<string, any>;
}

/**
 * The application's three tables, named as the daemon names them from its properties.
 *
 * @param properties The effective daemon properties (`applicationName` required; `tableName`,
 *   `coordinatorStateTableName`, `workerMetricsTableName` optional).
 * @returns Lease table, coordinator state table, worker metrics table.
 */
export function tableSpecs(properties: ReadonlyMap<string, string>): TableSpec[] {
  const application = properties.get("applicationName");
  if (!application) throw new Error("applicationName is required: it names the tables");
  const named = (key: string, fallback: string, fallbackFrom: string) => {
    const value = properties.get(key);
    return value ? { name: value, nameFrom: key } : { name: fallback, nameFrom: fallbackFrom };
  };
  const leaseKey: KeyAttribute = { name: "leaseKey", type: "S" };
  return [
    {
      role: "lease",
      ...named("tableName", application, "applicationName"),
      hash: leaseKey,
      index: {
        name: LEASE_OWNER_INDEX,
        hash: { name: "leaseOwner", type: "S" },
        range: leaseKey,
        projection: "KEYS_ONLY",
      },
    },
    {
      role: "coordinatorState",
      ...named(
        "coordinatorStateTableName",
        `${application}-CoordinatorState`,
        "applicationName-CoordinatorState",
      ),
      hash: { name: "key", type: "S" },
    },
    {
      role: "workerMetrics",
      ...named(
        "workerMetricsTableName",
        `${application}-WorkerMetricStats`,
        "applicationName-WorkerMetricStats",
      ),
      hash: { name: "wid", type: "S" },
    },
  ];
}

/**
 * The `CreateTable` request of one table.
 *
 * @param spec The table.
 * @param options The team's settings.
 * @returns The request body.
 */
// deno-lint-ignore no-explicit-any
export function createTableInput(spec: TableSpec, options: ProvisionOptions): Record<string, any> {
  const throughput = options.billing.mode === "PROVISIONED"
    ? {
      ReadCapacityUnits: options.billing.read,
      WriteCapacityUnits: options.billing.write,
    }
    : undefined;
  const attributes = [spec.hash];
  if (spec.index) {
    for (const key of [spec.index.hash, spec.index.range]) {
      if (!attributes.some((a) => a.name === key.name)) attributes.push(key);
    }
  }
  return {
    TableName: spec.name,
    AttributeDefinitions: attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: [{ AttributeName: spec.hash.name, KeyType: "HASH" }],
    ...(spec.index
      ? {
        GlobalSecondaryIndexes: [{
          IndexName: spec.index.name,
          KeySchema: [
            { AttributeName: spec.index.hash.name, KeyType: "HASH" },
            { AttributeName: spec.index.range.name, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: spec.index.projection },
          ...(throughput ? { ProvisionedThroughput: throughput } : {}),
        }],
      }
      : {}),
    BillingMode: options.billing.mode,
    ...(throughput ? { ProvisionedThroughput: throughput } : {}),
    DeletionProtectionEnabled: options.deletionProtection,
    ...(options.kmsKey
      ? { SSESpecification: { Enabled: true, SSEType: "KMS", KMSMasterKeyId: options.kmsKey } }
      : {}),
    ...(options.tags.length > 0
      ? { Tags: options.tags.map(([Key, Value]) => ({ Key, Value })) }
      : {}),
  };
}

/**
 * Every request that provisions the tables, in order: each `CreateTable`, then (with
 * point-in-time recovery) each `UpdateContinuousBackups`, which needs an `ACTIVE` table.
 *
 * @param specs The tables ({@linkcode tableSpecs}).
 * @param options The team's settings.
 * @returns The requests.
 */
export function provisionRequests(
  specs: readonly TableSpec[],
  options: ProvisionOptions,
): TableRequest[] {
  const requests: TableRequest[] = specs.map((spec) => ({
    operation: "CreateTable",
    role: spec.role,
    input: createTableInput(spec, options),
  }));
  if (options.pointInTimeRecovery) {
    for (const spec of specs) {
      requests.push({
        operation: "UpdateContinuousBackups",
        role: spec.role,
        input: {
          TableName: spec.name,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        },
      });
    }
  }
  return requests;
}

/** The part of a `DescribeTable` answer that the comparisons read. */
export interface DescribedTable {
  /** Billing; absent on tables that were always provisioned. */
  BillingModeSummary?: { BillingMode?: string };
  /** Provisioned capacity. */
  ProvisionedThroughput?: { ReadCapacityUnits?: number; WriteCapacityUnits?: number };
  /** Server-side encryption; absent with the AWS owned key. */
  SSEDescription?: { Status?: string; SSEType?: string; KMSMasterKeyArn?: string };
  /** Deletion protection. */
  DeletionProtectionEnabled?: boolean;
  /** Key attributes. */
  KeySchema?: readonly { AttributeName?: string; KeyType?: string }[];
  /** Types of the key attributes (table and indexes). */
  AttributeDefinitions?: readonly { AttributeName?: string; AttributeType?: string }[];
  /** Global secondary indexes. */
  GlobalSecondaryIndexes?: readonly {
    IndexName?: string;
    KeySchema?: readonly { AttributeName?: string; KeyType?: string }[];
    Projection?: { ProjectionType?: string };
  }[];
}

function keyText(
  schema: readonly { AttributeName?: string; KeyType?: string }[] | undefined,
  types: ReadonlyMap<string, string>,
): string {
  if (!schema || schema.length === 0) return "none";
  return schema.map((k) =>
    `${k.AttributeName} (${k.KeyType}, ${types.get(k.AttributeName ?? "") ?? "?"})`
  )
    .join(", ");
}

function expectedKeyText(keys: readonly (readonly [KeyAttribute, string])[]): string {
  return keys.map(([key, kind]) => `${key.name} (${kind}, ${key.type})`).join(", ");
}

/**
 * What differs between an existing table and what KCL 3.x needs: key schema and key types, the
 * index and its keys. Other indexes, the index's projection (each includes the keys, which is all
 * KCL reads from it) and settings do not matter to KCL: see {@linkcode settingDifferences}.
 *
 * @param spec The table KCL needs.
 * @param table The existing table (`DescribeTable`'s `Table`).
 * @returns One sentence per difference; empty when the table fits.
 */
export function schemaDifferences(spec: TableSpec, table: DescribedTable): string[] {
  const differences: string[] = [];
  const types = new Map(
    (table.AttributeDefinitions ?? []).map((a) => [a.AttributeName ?? "", a.AttributeType ?? "?"]),
  );
  const expected = expectedKeyText([[spec.hash, "HASH"]]);
  const actual = keyText(table.KeySchema, types);
  if (actual !== expected) {
    differences.push(`key schema is ${actual}; KCL needs ${expected}`);
  }
  if (spec.index) {
    const index = (table.GlobalSecondaryIndexes ?? []).find((i) =>
      i.IndexName === spec.index!.name
    );
    if (!index) {
      differences.push(
        `the index ${spec.index.name} is missing (a KCL 2.x lease table?); KCL 3.x needs it ` +
          `(hash ${spec.index.hash.name}, range ${spec.index.range.name}, ${spec.index.projection})`,
      );
    } else {
      const want = expectedKeyText([[spec.index.hash, "HASH"], [spec.index.range, "RANGE"]]);
      const got = keyText(index.KeySchema, types);
      if (got !== want) {
        differences.push(`the index ${spec.index.name} has keys ${got}; KCL needs ${want}`);
      }
    }
  }
  return differences;
}

/**
 * Where an existing table's settings differ from the requested ones: billing, capacity,
 * encryption, deletion protection, the index's projection. Tags and point-in-time recovery are
 * not in `DescribeTable`'s answer and are not compared. Provisioning leaves an existing table
 * as it is: these are warnings.
 *
 * @param spec The table.
 * @param table The existing table.
 * @param options The requested settings.
 * @returns One sentence per difference.
 */
export function settingDifferences(
  spec: TableSpec,
  table: DescribedTable,
  options: ProvisionOptions,
): string[] {
  const notes: string[] = [];
  const billing = table.BillingModeSummary?.BillingMode ?? "PROVISIONED";
  if (billing !== options.billing.mode) {
    notes.push(`billing is ${billing}, not ${options.billing.mode}`);
  } else if (options.billing.mode === "PROVISIONED") {
    const read = table.ProvisionedThroughput?.ReadCapacityUnits;
    const write = table.ProvisionedThroughput?.WriteCapacityUnits;
    if (read !== options.billing.read || write !== options.billing.write) {
      notes.push(
        `capacity is ${read} read / ${write} write, not ${options.billing.read} / ${options.billing.write}`,
      );
    }
  }
  const sse = table.SSEDescription;
  const kms = sse?.Status === "ENABLED" && sse.SSEType === "KMS";
  if (options.kmsKey && !kms) {
    notes.push(`it is not encrypted with a KMS key (wanted ${options.kmsKey})`);
  } else if (
    options.kmsKey && sse?.KMSMasterKeyArn && !sse.KMSMasterKeyArn.endsWith(options.kmsKey)
  ) {
    notes.push(`it is encrypted with ${sse.KMSMasterKeyArn}, not ${options.kmsKey}`);
  }
  if (options.deletionProtection && table.DeletionProtectionEnabled !== true) {
    notes.push("deletion protection is off");
  }
  if (spec.index) {
    const index = (table.GlobalSecondaryIndexes ?? []).find((i) =>
      i.IndexName === spec.index!.name
    );
    const projection = index?.Projection?.ProjectionType;
    if (index && projection !== spec.index.projection) {
      notes.push(
        `the index ${spec.index.name} projects ${projection}, not ${spec.index.projection}`,
      );
    }
  }
  return notes;
}
