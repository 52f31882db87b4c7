/**
 * `doctor`: checks what the daemon needs before it is started.
 *
 * @module
 */

import type { EffectiveConfig } from "./config.ts";
import { jarMissingHelp } from "./paths.ts";

/** The outcome of one check. */
export interface CheckResult {
  /** What was checked. */
  readonly name: string;
  /** `ok`, `warn` (works, but look at it) or `fail`. */
  readonly status: "ok" | "warn" | "fail";
  /** What was found. */
  readonly detail: string;
}

/** The class the daemon jar must contain. */
export const MAIN_CLASS_ENTRY = "software/amazon/kinesis/multilang/MultiLangDaemon.class";

/**
 * Runs `java -version` and reads the major version.
 *
 * @param java The Java executable.
 * @returns The check.
 */
export async function checkJava(java: string): Promise<CheckResult> {
  let output;
  try {
    output = await new Deno.Command(java, { args: ["-version"], stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    return {
      name: "java",
      status: "fail",
      detail: `cannot run "${java}": ${
        (error as Error).message
      }. Install a JRE 17+ or set JAVA_HOME`,
    };
  }
  const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
  const match = text.match(/version "(\d+)(?:\.(\d+))?/);
  if (!output.success || !match) {
    return { name: "java", status: "fail", detail: `"${java} -version" failed: ${text.trim()}` };
  }
  const major = match[1] === "1" ? Number(match[2]) : Number(match[1]);
  const line = text.split("\n")[0]?.trim() ?? "";
  if (major < 8) return { name: "java", status: "fail", detail: `${line}: KCL 3 needs Java 8+` };
  if (major < 17) {
    return { name: "java", status: "warn", detail: `${line}: works, Java 17+ is what kclts tests` };
  }
  return { name: "java", status: "ok", detail: line };
}

/**
 * Lists the entry names of a zip file from its central directory (zip64 too).
 *
 * @param path The zip (jar) file.
 * @returns The entry names.
 * @throws {Error} If the file is not a zip.
 */
export async function zipEntries(path: string): Promise<string[]> {
  using file = await Deno.open(path);
  const size = (await file.stat()).size;
  const tailSize = Math.min(size, 65_557);
  const tail = await readAt(file, size - tailSize, tailSize);
  const view = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip file (no end of central directory)");
  let count = view.getUint16(eocd + 10, true);
  let dirSize = view.getUint32(eocd + 12, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) {
      throw new Error("zip64 locator missing");
    }
    const zip64At = Number(view.getBigUint64(locator + 8, true));
    const record = new DataView((await readAt(file, zip64At, 56)).buffer);
    count = Number(record.getBigUint64(32, true));
    dirSize = Number(record.getBigUint64(40, true));
    dirOffset = Number(record.getBigUint64(48, true));
  }
  const directory = await readAt(file, dirOffset, dirSize);
  const dir = new DataView(directory.buffer);
  const names: string[] = [];
  const decoder = new TextDecoder();
  for (let at = 0, i = 0; i < count && at + 46 <= directory.length; i++) {
    if (dir.getUint32(at, true) !== 0x02014b50) throw new Error("corrupt central directory");
    const nameLength = dir.getUint16(at + 28, true);
    const extraLength = dir.getUint16(at + 30, true);
    const commentLength = dir.getUint16(at + 32, true);
    names.push(decoder.decode(directory.subarray(at + 46, at + 46 + nameLength)));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const buffer = new Uint8Array(length);
  let read = 0;
  while (read < length) {
    const n = await file.read(buffer.subarray(read));
    if (n === null) break;
    read += n;
  }
  return buffer.subarray(0, read).length === length ? buffer : buffer.slice(0, read);
}

/**
 * Checks that the jar exists and holds the daemon's main class.
 *
 * @param path The jar, or `undefined` if none was found.
 * @param searched Where it was looked for.
 * @returns The check.
 */
export async function checkJar(path: string | undefined, searched: string[]): Promise<CheckResult> {
  if (!path) {
    return {
      name: "jar",
      status: "fail",
      detail: jarMissingHelp(searched),
    };
  }
  try {
    const entries = await zipEntries(path);
    if (!entries.includes(MAIN_CLASS_ENTRY)) {
      return { name: "jar", status: "fail", detail: `${path} has no MultiLangDaemon class` };
    }
    const size = (await Deno.stat(path)).size;
    return {
      name: "jar",
      status: "ok",
      detail: `${path} (${(size / 1048576).toFixed(1)} MiB, ${entries.length} entries)`,
    };
  } catch (error) {
    return { name: "jar", status: "fail", detail: `${path}: ${(error as Error).message}` };
  }
}

/**
 * Turns the configuration's problems into checks.
 *
 * @param config The effective configuration.
 * @returns One check per problem, or one `ok`.
 */
export function checkConfig(config: EffectiveConfig): CheckResult[] {
  const results: CheckResult[] = [
    ...config.errors.map((detail) => ({ name: "config", status: "fail" as const, detail })),
    ...config.warnings.map((detail) => ({ name: "config", status: "warn" as const, detail })),
  ];
  if (results.length === 0) {
    const stream = config.properties.get("streamArn") ?? config.properties.get("streamName");
    results.push({
      name: "config",
      status: "ok",
      detail: `stream ${stream}, application ${config.properties.get("applicationName")}, ` +
        `region ${config.properties.get("regionName")}, worker ${
          config.properties.get("workerId")
        }`,
    });
  }
  return results;
}

/**
 * Checks that an endpoint answers HTTP (any status counts: it is reachable).
 *
 * @param name What the endpoint is for.
 * @param url The endpoint.
 * @param timeoutMs How long to wait.
 * @returns The check.
 */
export async function checkEndpoint(
  name: string,
  url: string,
  timeoutMs = 5000,
): Promise<CheckResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal });
    await response.body?.cancel();
    return { name, status: "ok", detail: `${url} answers (HTTP ${response.status})` };
  } catch (error) {
    return { name, status: "fail", detail: `${url} does not answer: ${(error as Error).message}` };
  }
}

/**
 * The endpoints the daemon will use: the overrides, else AWS's regional ones.
 *
 * @param properties The effective properties.
 * @returns Name and URL of the Kinesis and DynamoDB endpoints.
 */
export function endpoints(properties: ReadonlyMap<string, string>): [string, string][] {
  const region = properties.get("regionName") ?? "us-east-1";
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return [
    ["kinesis", properties.get("kinesisEndpoint") ?? `https://kinesis.${region}.${suffix}`],
    ["dynamodb", properties.get("dynamoDBEndpoint") ?? `https://dynamodb.${region}.${suffix}`],
  ];
}

/** The class in sylvite.jar that resolves credentials the way the daemon does. */
export const CREDENTIALS_CHECK_CLASS = "dev.kclts.sylvite.CredentialsCheck";

/** What {@linkcode checkCredentials} needs. */
export interface CredentialsCheckOptions {
  /** The Java executable. */
  java: string;
  /** The daemon's JVM options (`KCLTS_JAVA_OPTS`: `-Daws.*` settings count). */
  javaOptions: readonly string[];
  /** The daemon jar, if found. */
  jar: string | undefined;
  /** The rendered properties, as the daemon would read them. */
  properties: string;
  /** The effective `AwsCredentialsProvider`, if set. */
  provider: string | undefined;
  /** The environment. */
  env: Record<string, string | undefined>;
  /** How long the check may take (the instance metadata service is tried last). */
  timeoutMs?: number;
}

const SOURCES: [RegExp, string][] = [
  [/^Environment/, "environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"],
  [/^SystemProperty/, "JVM system properties aws.accessKeyId / aws.secretAccessKey"],
  [/Sso/, "an IAM Identity Center (SSO) profile, from `aws sso login`"],
  [/WebIdentity/, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: EKS IRSA)"],
  [/^Container/, "the container credentials endpoint (ECS task role, EKS Pod Identity)"],
  [/^InstanceProfile/, "the EC2 instance profile (instance metadata service)"],
  [/AssumeRole/, "an STS AssumeRole"],
  [/Process/, "a credential_process in the profile"],
  [/Profile/, "a profile in the shared config/credentials files (~/.aws)"],
];

/**
 * Names a credentials source from the AWS SDK's provider name.
 *
 * @param providerName The `providerName` of resolved credentials, e.g. `EnvironmentVariableCredentialsProvider`.
 * @param env The environment (for the profile's name).
 * @returns A description, e.g. "environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY".
 *
 * @example
 * ```ts
 * import { describeCredentialsSource } from "./doctor.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   describeCredentialsSource("SsoCredentialsProvider", { AWS_PROFILE: "dev" }),
 *   "an IAM Identity Center (SSO) profile, from `aws sso login` (profile dev)",
 * );
 * ```
 */
export function describeCredentialsSource(
  providerName: string,
  env: Record<string, string | undefined>,
): string {
  const source = SOURCES.find(([pattern]) => pattern.test(providerName))?.[1];
  if (!source) return providerName;
  const profile = /Profile|Sso|Process/.test(providerName) && !/^InstanceProfile/.test(providerName)
    ? ` (profile ${env.AWS_PROFILE || "default"})`
    : "";
  return `${source}${profile}`;
}

/**
 * Whether a provider setting names only `EnvironmentVariableCredentialsProvider`
 * (the emulator profile's setting).
 */
function environmentOnly(provider: string | undefined): boolean {
  if (!provider) return false;
  const names = provider.split(",").map((p) => p.split("|")[0]!.trim()).filter((p) => p !== "");
  return names.length > 0 &&
    names.every((name) => name.replace(/^.*\./, "") === "EnvironmentVariableCredentialsProvider");
}

const EMULATOR_HINT = "local emulators accept any value, e.g. " +
  "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local";

/**
 * Checks that the daemon's AWS clients get credentials: runs
 * {@linkcode CREDENTIALS_CHECK_CLASS} from sylvite.jar, which builds the
 * credentials providers from the properties with the daemon's own
 * configurator and resolves them once, and names the source that supplied
 * them (never a key). A jar without that class (not built from
 * sylvite/pom.xml) is checked for `EnvironmentVariableCredentialsProvider`
 * only.
 *
 * @param options What to check with.
 * @returns One check per set of clients sharing a provider.
 */
export async function checkCredentials(options: CredentialsCheckOptions): Promise<CheckResult[]> {
  const { env } = options;
  const envMissing = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter((name) => !env[name]);
  const envFailure: CheckResult = {
    name: "credentials",
    status: "fail",
    detail: `AwsCredentialsProvider = ${options.provider} reads the environment, and ${
      envMissing.join(" and ")
    } ${envMissing.length > 1 ? "are" : "is"} not set; ${EMULATOR_HINT}`,
  };
  let hasCheck = false;
  if (options.jar) {
    try {
      hasCheck = (await zipEntries(options.jar)).includes(
        `${CREDENTIALS_CHECK_CLASS.replaceAll(".", "/")}.class`,
      );
    } catch {
      // the jar check reports it
    }
  }
  if (!hasCheck) {
    if (environmentOnly(options.provider)) {
      return envMissing.length > 0 ? [envFailure] : [{
        name: "credentials",
        status: "ok",
        detail: describeCredentialsSource("EnvironmentVariableCredentialsProvider", env),
      }];
    }
    return [{
      name: "credentials",
      status: "warn",
      detail: `not checked: ${
        options.jar ?? "the jar"
      } has no ${CREDENTIALS_CHECK_CLASS} (build sylvite.jar from sylvite/pom.xml)`,
    }];
  }
  const command = new Deno.Command(options.java, {
    args: [
      ...options.javaOptions,
      "-Dsylvite.log.level=OFF",
      "-Dsylvite.chatty.level=OFF",
      "-cp",
      options.jar!,
      CREDENTIALS_CHECK_CLASS,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  let child: Deno.ChildProcess;
  try {
    child = command.spawn();
  } catch (error) {
    return [{
      name: "credentials",
      status: "fail",
      detail: `cannot run "${options.java}": ${(error as Error).message}`,
    }];
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }, timeoutMs);
  try {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.properties));
    await writer.close();
  } catch {
    // it exited early; its output says why
  }
  const output = await child.output();
  clearTimeout(timer);
  if (timedOut) {
    return [{
      name: "credentials",
      status: "fail",
      detail: `no answer within ${
        timeoutMs / 1000
      } s: a credentials endpoint (STS, SSO, instance metadata) does not answer`,
    }];
  }
  const results: CheckResult[] = [];
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const match = line.match(/^(ok|fail|error) (\S+) (.*)$/);
    if (!match) continue;
    const [, status, clients, text] = match as unknown as [string, string, string, string];
    const who = clients.replaceAll(",", ", ");
    if (status === "ok") {
      results.push({
        name: "credentials",
        status: "ok",
        detail: `${who}: ${describeCredentialsSource(text, env)} [${text}]`,
      });
    } else {
      const hint = /AWS_ACCESS_KEY_ID/.test(text) && environmentOnly(options.provider)
        ? `; ${EMULATOR_HINT}`
        : "";
      results.push({
        name: "credentials",
        status: "fail",
        detail: `${who}: ${text}${hint}`,
      });
    }
  }
  if (results.length === 0) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" ");
    results.push({
      name: "credentials",
      status: "fail",
      detail: `the check exited with code ${output.code}: ${stderr}`,
    });
  }
  return results;
}
