/**
 * `<program> provision`: creates the application's three KCL 3.x tables (the lease table with its
 * `LeaseOwnerToLeaseKeyIndex` index, `<app>-CoordinatorState`, `<app>-WorkerMetricStats`) with a
 * team's settings, so that workers need no `dynamodb:CreateTable`. Idempotent: an existing table
 * with the schema KCL needs is left as it is; one with another schema is an error naming the
 * difference. `--dry-run` prints the requests and contacts nothing.
 *
 * The table names and the region come from the same layers as `launch` (the template, `--config`
 * files, the environment, `--key=value`). The AWS SDK for JavaScript (`@aws-sdk/client-dynamodb`,
 * its default credentials chain) is loaded only here, and only when requests are sent.
 *
 * @module
 */

import type { ProgramInfo } from "../runtime/start.ts";
import type { EffectiveConfig } from "./config.ts";
import {
  type Billing,
  type DescribedTable,
  type ProvisionOptions,
  provisionRequests,
  schemaDifferences,
  settingDifferences,
  type TableRequest,
  type TableSpec,
  tableSpecs,
} from "./tables.ts";
import { writeAllSync } from "../transport/write_all.ts";
import { VERSION } from "../version.ts";

function out(text: string): void {
  writeAllSync(Deno.stdout, text);
}

function err(text: string): void {
  writeAllSync(Deno.stderr, text);
}

/** The provision command's usage text. */
export function provisionUsage(info: ProgramInfo): string {
  return `Usage:
  ${info.name} provision [options] [--config=FILE]... [--<key>=<value>]...

Creates the KCL 3.x tables of the application: the lease table (tableName, or
applicationName) with its LeaseOwnerToLeaseKeyIndex index, <app>-CoordinatorState
and <app>-WorkerMetricStats (or coordinatorStateTableName, workerMetricsTableName),
in regionName, at dynamoDBEndpoint if set. The names come from the same layers
as launch. Existing tables with the schema KCL needs are left as they are; a
different schema is an error. Credentials: the AWS SDK's default chain.

Options (for all three tables):
  --billing-mode=MODE      on-demand (default) or provisioned
  --read-capacity=N        with provisioned: read capacity units (also the index's)
  --write-capacity=N       with provisioned: write capacity units (also the index's)
  --tag=KEY=VALUE          a tag; repeat for more
  --sse-kms-key=KEY        encrypt with this KMS key (id, ARN or alias/NAME);
                           default: the AWS owned key, as KCL
  --pitr                   turn on point-in-time recovery
  --deletion-protection    create with deletion protection
  --dry-run                print the requests as JSON, contact nothing
`;
}

/** The provision options parsed from the command line, and what is left for the launcher. */
export interface ProvisionArgs {
  /** The team's settings. */
  options: ProvisionOptions;
  /** Print the requests only. */
  dryRun: boolean;
  /** Show the usage. */
  help: boolean;
  /** The other arguments (`--config=FILE`, `--key=value`), for the launcher's parser. */
  rest: string[];
}

function positiveInteger(flag: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new Error(`${flag} must be a whole number of capacity units >= 1: got "${value}"`);
  }
  return Number(value);
}

/**
 * Splits the provision options from the launcher's arguments and checks them.
 *
 * @param args The arguments after `provision`.
 * @returns The options and the rest.
 * @throws {Error} On a malformed or inconsistent option.
 */
export function parseProvisionArgs(args: readonly string[]): ProvisionArgs {
  let mode: string | undefined;
  let read: string | undefined;
  let write: string | undefined;
  const tags: [string, string][] = [];
  let kmsKey: string | undefined;
  let pitr = false;
  let deletionProtection = false;
  let dryRun = false;
  let help = false;
  const rest: string[] = [];
  for (const arg of args) {
    const at = arg.indexOf("=");
    const [flag, value] = at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
    const needValue = () => {
      if (value === undefined || value === "") {
        throw new Error(`${flag} needs a value: ${flag}=...`);
      }
      return value;
    };
    const noValue = () => {
      if (value !== undefined) throw new Error(`${flag} takes no value`);
    };
    switch (flag) {
      case "--billing-mode":
        mode = needValue();
        break;
      case "--read-capacity":
        read = needValue();
        break;
      case "--write-capacity":
        write = needValue();
        break;
      case "--tag": {
        const tag = needValue();
        const eq = tag.indexOf("=");
        const key = eq < 0 ? tag : tag.slice(0, eq);
        if (eq < 0 || key === "") throw new Error(`--tag must be KEY=VALUE: got "${tag}"`);
        if (key.length > 128 || tag.length - eq - 1 > 256) {
          throw new Error(`--tag: keys have at most 128 characters, values 256: "${tag}"`);
        }
        if (tags.some(([k]) => k === key)) throw new Error(`--tag: "${key}" is given twice`);
        tags.push([key, tag.slice(eq + 1)]);
        break;
      }
      case "--sse-kms-key":
        kmsKey = needValue();
        break;
      case "--pitr":
        noValue();
        pitr = true;
        break;
      case "--deletion-protection":
        noValue();
        deletionProtection = true;
        break;
      case "--dry-run":
        noValue();
        dryRun = true;
        break;
      case "--help":
      case "-h":
        help = true;
        break;
      default:
        rest.push(arg);
    }
  }
  let billing: Billing;
  const normalized = (mode ?? "on-demand").toLowerCase().replaceAll("_", "-");
  if (normalized === "on-demand" || normalized === "pay-per-request") {
    if (read !== undefined || write !== undefined) {
      throw new Error("--read-capacity and --write-capacity need --billing-mode=provisioned");
    }
    billing = { mode: "PAY_PER_REQUEST" };
  } else if (normalized === "provisioned") {
    if (read === undefined || write === undefined) {
      throw new Error("--billing-mode=provisioned needs --read-capacity=N and --write-capacity=N");
    }
    billing = {
      mode: "PROVISIONED",
      read: positiveInteger("--read-capacity", read),
      write: positiveInteger("--write-capacity", write),
    };
  } else {
    throw new Error(`--billing-mode must be on-demand or provisioned: got "${mode}"`);
  }
  return {
    options: {
      billing,
      tags,
      ...(kmsKey !== undefined ? { kmsKey } : {}),
      pointInTimeRecovery: pitr,
      deletionProtection,
    },
    dryRun,
    help,
    rest,
  };
}

/**
 * The daemon's own table settings: it applies them only when it creates a table itself, except
 * `leaseTablePitrEnabled`, which makes it call `UpdateContinuousBackups` at every start
 * (`DynamoDBLeaseRefresher.createLeaseTableIfNotExists`).
 */
const DAEMON_TABLE_KEYS: ReadonlySet<string> = new Set([
  "leaseTableDeletionProtectionEnabled",
  "leaseTablePitrEnabled",
  "initialLeaseTableReadCapacity",
  "initialLeaseTableWriteCapacity",
  ...["workerMetrics", "coordinatorState"].flatMap((table) =>
    [
      "BillingMode",
      "ReadCapacity",
      "WriteCapacity",
      "PointInTimeRecoveryEnabled",
      "DeletionProtectionEnabled",
      "Tags",
    ].map((setting) => table + setting)
  ),
]);

/**
 * Runs `provision`.
 *
 * @param args The arguments after `provision`.
 * @param info The program's name and version.
 * @param configFrom Builds the effective configuration from the launcher's arguments (as `launch`).
 * @returns The exit code: 0 done (or nothing to do), 1 a table differs or a request failed,
 *   2 bad arguments or configuration.
 */
export async function provisionMain(
  args: string[],
  info: ProgramInfo,
  configFrom: (rest: string[]) => Promise<EffectiveConfig>,
): Promise<number> {
  let parsed: ProvisionArgs;
  let config: EffectiveConfig;
  try {
    parsed = parseProvisionArgs(args);
    if (parsed.help) {
      out(provisionUsage(info));
      return 0;
    }
    config = await configFrom(parsed.rest);
  } catch (error) {
    err(`${info.name}: ${(error as Error).message}\n`);
    return 2;
  }
  for (const warning of config.warnings) err(`${info.name}: warning: ${warning}\n`);
  for (const error of config.errors) err(`${info.name}: error: ${error}\n`);
  if (config.errors.length > 0) {
    err(`${info.name}: the configuration has ${config.errors.length} error(s); nothing was done\n`);
    return 2;
  }
  for (const [key, value] of config.properties) {
    if (DAEMON_TABLE_KEYS.has(key)) {
      err(
        `${info.name}: warning: ${key} = ${value} (from ${config.sources.get(key)}) is the ` +
          "daemon's own table setting; provision applies its options instead\n",
      );
    }
  }
  const specs = tableSpecs(config.properties);
  const requests = provisionRequests(specs, parsed.options);
  if (parsed.dryRun) {
    out(JSON.stringify(requests.map(({ operation, input }) => ({ operation, input })), null, 2));
    out("\n");
    return 0;
  }
  const region = config.properties.get("regionName")!;
  const endpoint = config.properties.get("dynamoDBEndpoint");
  return await send(info, specs, requests, parsed.options, region, endpoint);
}

async function send(
  info: ProgramInfo,
  specs: readonly TableSpec[],
  requests: readonly TableRequest[],
  options: ProvisionOptions,
  region: string,
  endpoint: string | undefined,
): Promise<number> {
  const sdk = await import("@aws-sdk/client-dynamodb");
  const client = new sdk.DynamoDBClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    // The SDK's default user agent reads the OS release, which the program's permissions
    // (--allow-sys=hostname only) do not grant.
    defaultUserAgentProvider: () => Promise.resolve([["kclts-provision", VERSION]]),
  });
  let failed = 0;
  try {
    const created: TableSpec[] = [];
    for (const spec of specs) {
      const label = `${spec.role === "lease" ? "lease table" : "table"} ${spec.name}`;
      try {
        let table = await describe(client, sdk, spec.name);
        if (table === undefined) {
          const create = requests.find((r) =>
            r.operation === "CreateTable" && r.role === spec.role
          )!;
          try {
            await client.send(new sdk.CreateTableCommand(create.input as never));
            created.push(spec);
            out(`created   ${label}\n`);
          } catch (error) {
            // Another provision (or a worker) created it meanwhile: compare that one.
            if (!(error instanceof sdk.ResourceInUseException)) throw error;
          }
          table = await waitActive(client, sdk, spec.name);
          if (!created.includes(spec)) out(`exists    ${label}\n`);
        } else {
          out(`exists    ${label}\n`);
        }
        const differences = schemaDifferences(spec, table);
        if (differences.length > 0) {
          failed++;
          err(
            `${info.name}: error: ${label} (${spec.nameFrom}) does not have the schema KCL 3.x ` +
              `needs: ${differences.join("; ")}. Use another name or fix the table\n`,
          );
          continue;
        }
        if (!created.includes(spec)) {
          for (const note of settingDifferences(spec, table, options)) {
            err(`${info.name}: warning: ${label}: ${note} (left as it is)\n`);
          }
        }
      } catch (error) {
        failed++;
        err(`${info.name}: error: ${label}: ${describeError(error)}\n`);
      }
    }
    for (const request of requests) {
      if (request.operation !== "UpdateContinuousBackups") continue;
      const spec = specs.find((s) => s.role === request.role)!;
      if (!created.includes(spec)) continue;
      try {
        await client.send(new sdk.UpdateContinuousBackupsCommand(request.input as never));
        out(`pitr      ${spec.name}\n`);
      } catch (error) {
        failed++;
        err(
          `${info.name}: error: point-in-time recovery on ${spec.name}: ${describeError(error)}\n`,
        );
      }
    }
  } finally {
    client.destroy();
  }
  if (failed > 0) {
    err(`${info.name}: ${failed} table(s) not provisioned as asked\n`);
    return 1;
  }
  return 0;
}

type Sdk = typeof import("@aws-sdk/client-dynamodb");

async function describe(
  client: InstanceType<Sdk["DynamoDBClient"]>,
  sdk: Sdk,
  name: string,
): Promise<(DescribedTable & { TableStatus?: string }) | undefined> {
  try {
    const answer = await client.send(new sdk.DescribeTableCommand({ TableName: name }));
    return answer.Table as DescribedTable & { TableStatus?: string };
  } catch (error) {
    if (error instanceof sdk.ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function waitActive(
  client: InstanceType<Sdk["DynamoDBClient"]>,
  sdk: Sdk,
  name: string,
): Promise<DescribedTable> {
  const deadline = Date.now() + 10 * 60_000;
  while (true) {
    const table = await describe(client, sdk, name) as
      | (DescribedTable & {
        TableStatus?: string;
        GlobalSecondaryIndexes?: { IndexStatus?: string }[];
      })
      | undefined;
    const indexes = (table?.GlobalSecondaryIndexes ?? []) as { IndexStatus?: string }[];
    if (table?.TableStatus === "ACTIVE" && indexes.every((i) => i.IndexStatus === "ACTIVE")) {
      return table;
    }
    if (Date.now() > deadline) {
      throw new Error(`${name} is not ACTIVE after 10 minutes (${table?.TableStatus})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  }
  return String(error);
}
