/**
 * Helpers shared by the tests.
 *
 * @module
 */

import { type Connection, connectStreams } from "../mod.ts";
import { PERMISSION_FLAGS } from "../src/runtime/permissions.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The repository's root directory (no trailing slash). */
export const ROOT: string = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/** The template processor, `processor.ts`. */
export const TEMPLATE: string = `${ROOT}/processor.ts`;

/** What a command that ran to its end printed, decoded. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end with stdin closed.
 *
 * @param command The program.
 * @param options Its arguments, environment, directory.
 * @returns Its exit code and what it printed.
 */
export async function run(command: string, options: Deno.CommandOptions = {}): Promise<Output> {
  const output = await new Deno.Command(command, { stdin: "null", ...options }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Runs the template's launcher (`processor.ts ARGS` with the compiled binary's
 * flags) in the repository's root, with only PATH and HOME of this process's
 * environment, plus `env`.
 */
export function launcher(args: string[], env: Record<string, string>): Promise<Output> {
  const [command, ...flags] = denoRun(TEMPLATE);
  return run(command!, {
    args: [...flags, ...args],
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", ...env },
    clearEnv: true,
    cwd: ROOT,
  });
}

let denoDir: string | undefined;

/** Deno's cache directory, for a child whose environment is cleared or whose HOME differs. */
export async function cacheDir(): Promise<string> {
  denoDir ??= JSON.parse((await run(Deno.execPath(), { args: ["info", "--json"] })).stdout)
    .denoDir as string;
  return denoDir;
}

/** An in-memory daemon side: push lines in, read what the child wrote. */
export interface MemoryPipe {
  connection: Connection;
  /** Sends one line to the child. */
  send(line: string): void;
  /** Closes the child's stdin. */
  end(): void;
  /** Everything the child wrote, split in lines (the empty lines of the framing left out). */
  written(): string[];
  /** Everything the child wrote, as written. */
  raw(): string;
}

/** Creates a connection fed from memory. */
export function memoryPipe(): MemoryPipe {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const input = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  let out = "";
  const output = new WritableStream<Uint8Array>({
    write: (chunk) => void (out += decoder.decode(chunk)),
  });
  let ended = false;
  return {
    connection: connectStreams(input, output),
    send: (line) => controller.enqueue(encoder.encode(line + "\n")),
    end: () => {
      if (ended) return;
      ended = true;
      try {
        controller.close();
      } catch {
        // the session already cancelled its input
      }
    },
    written: () => out.split("\n").filter((line) => line !== ""),
    raw: () => out,
  };
}

/** A byte stream made of the given chunks. */
export function bytes(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => typeof c === "string" ? encoder.encode(c) : c));
}

/** The `deno run` command that runs a processor file the way the compiled binary runs. */
export function denoRun(file: string): string[] {
  return [Deno.execPath(), "run", ...PERMISSION_FLAGS, file];
}

/** A daemon line for `initialize`. */
export const INITIALIZE =
  '{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}';

/** Makes a `processRecords` line with records whose payloads are the given strings. */
export function processRecordsLine(
  payloads: string[],
  options: { firstSequence?: bigint; partitionKey?: string } = {},
): string {
  let sequence = options.firstSequence ?? 49590338271490256608559692538361571095921575989136588898n;
  const records = payloads.map((payload) => ({
    data: btoa(String.fromCharCode(...encoder.encode(payload))),
    partitionKey: options.partitionKey ?? "pk",
    sequenceNumber: String(sequence++),
    approximateArrivalTimestamp: 1_700_000_000_000,
    subSequenceNumber: 0,
    action: "record",
  }));
  return JSON.stringify({ action: "processRecords", records, millisBehindLatest: 0 });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Waits until `check` returns true (polling). */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("Condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The first fenced code block of a language under a README heading.
 *
 * @param heading The heading line, e.g. `### Least-privilege IAM policy`.
 * @param language The fence's language, e.g. `json`.
 * @returns The block's text, ending with a newline.
 */
export function readmeBlock(heading: string, language: string): string {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no heading "${heading}"`);
  const next = readme.slice(at + heading.length + 2).search(/^#{1,3} /m);
  const section = readme.slice(at, next < 0 ? undefined : at + heading.length + 2 + next);
  const block = new RegExp("^```" + language + "\\n([\\s\\S]*?)^```", "m").exec(section);
  if (!block) throw new Error(`README.md has no ${language} block under "${heading}"`);
  return block[1]!;
}
