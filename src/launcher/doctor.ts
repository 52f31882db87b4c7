/**
 * `doctor`: checks what the daemon needs before it is started.
 *
 * @module
 */

import type { EffectiveConfig } from "./config.ts";

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
      detail: `sylvite.jar not found (looked at ${searched.join(", ")}); build it with ` +
        `"mvn -B -f sylvite/pom.xml package" or set KCLTS_JAR`,
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
