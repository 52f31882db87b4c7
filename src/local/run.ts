/**
 * Small process and file helpers of the local tools: run a command with its
 * output on stderr (never stdout), check that a command exists, stat files.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Writes a line to stderr.
 *
 * @param prefix A tag, e.g. `kclts emulators`.
 * @param message The line.
 */
export function logToStderr(prefix: string, message: string): void {
  let bytes = encoder.encode(`[${prefix}] ${message}\n`);
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
}

/**
 * Whether a path exists.
 *
 * @param path The path.
 * @returns `true` if it exists.
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * A file's modification time.
 *
 * @param path The path.
 * @returns Milliseconds since the epoch, or `undefined` if it does not exist.
 */
export async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).mtime?.getTime();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function forwardToStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const chunk of stream) {
    let written = 0;
    while (written < chunk.length) written += Deno.stderr.writeSync(chunk.subarray(written));
  }
}

/**
 * Runs a command to completion with its stdout and stderr forwarded to our stderr.
 *
 * @param command The executable.
 * @param args Its arguments.
 * @param cwd Its working directory.
 * @throws {Error} If it cannot start or exits non-zero.
 */
export async function runToStderr(command: string, args: string[], cwd: string): Promise<void> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new Error(`Cannot run "${command}": ${String(error)}`, { cause: error });
  }
  const [status] = await Promise.all([
    child.status,
    forwardToStderr(child.stdout),
    forwardToStderr(child.stderr),
  ]);
  if (!status.success) {
    throw new Error(`Command failed with exit code ${status.code}: ${command} ${args.join(" ")}`);
  }
}

/**
 * Whether `command --version` runs and succeeds.
 *
 * @param command The executable.
 * @returns `true` if it does.
 */
export async function commandExists(command: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args: ["--version"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}
