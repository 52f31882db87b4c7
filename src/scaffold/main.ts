/**
 * `init`: writes a new consumer project (`deno run -A jsr:@kclts/kclts/init my-consumer`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { projectFiles, validateName } from "./files.ts";
import { VERSION } from "../version.ts";
import { writeAllSync } from "../transport/write_all.ts";

/** The usage text. */
export const INIT_USAGE =
  `Usage: deno run -A jsr:@kclts/kclts/init DIRECTORY [--force] [--from PATH]

Writes a new Kinesis consumer project into DIRECTORY (created if needed; its name
names the project): deno.json (kclts ${VERSION} from JSR; tasks processor, launch, test,
compile, demo, provision), processor.ts, processor_test.ts, Dockerfile, .dockerignore,
docker-compose.yml, properties/, docker/localstack/, .gitignore and README.md.

  --force      overwrite files that exist (other files are never touched)
  --from PATH  use the kclts checkout at PATH instead of JSR (deno.json "links" it;
               for offline use and kclts's own tests)
`;

function out(text: string): void {
  writeAllSync(Deno.stdout, text);
}

function err(text: string): void {
  writeAllSync(Deno.stderr, text);
}

function absolute(path: string): string {
  const joined = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function kcltsCheckout(path: string): Promise<string> {
  let config: { name?: unknown };
  try {
    config = JSON.parse(await Deno.readTextFile(`${path}/deno.json`));
  } catch (error) {
    throw new Error(`--from ${path}: no readable deno.json there (${(error as Error).message})`);
  }
  if (config.name !== "@kclts/kclts") {
    throw new Error(
      `--from ${path}: not a kclts checkout (deno.json names ${String(config.name)})`,
    );
  }
  return path;
}

/**
 * Runs `init`.
 *
 * @param args The command-line arguments.
 * @returns The exit code: 0 written, 1 files exist, 2 bad arguments.
 */
export async function initMain(args: string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        force: { type: "boolean", default: false },
        from: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    err(`init: ${(error as Error).message}\n\n${INIT_USAGE}`);
    return 2;
  }
  if (values.help) {
    out(INIT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    err(`init: give one directory, e.g. my-consumer\n\n${INIT_USAGE}`);
    return 2;
  }
  const dir = absolute(positionals[0]!);
  const name = dir.slice(dir.lastIndexOf("/") + 1);
  const invalid = validateName(name);
  if (invalid !== undefined) {
    err(`init: ${invalid}\n`);
    return 2;
  }
  let files;
  try {
    const from = values.from === undefined ? undefined : await kcltsCheckout(absolute(values.from));
    files = await projectFiles(from === undefined ? { name } : { name, from });
  } catch (error) {
    err(`init: ${(error as Error).message}\n`);
    return 2;
  }
  const existing = [];
  for (const file of files) if (await exists(`${dir}/${file.path}`)) existing.push(file.path);
  if (existing.length > 0 && !values.force) {
    err(
      `init: ${dir} already has ${existing.join(", ")}; nothing was written. ` +
        "Use another directory, or --force to overwrite these files.\n",
    );
    return 1;
  }
  for (const file of files) {
    const path = `${dir}/${file.path}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, file.content, file.mode === undefined ? {} : { mode: file.mode });
    if (file.mode !== undefined) await Deno.chmod(path, file.mode);
  }
  const shown = positionals[0]!.startsWith("/") ? dir : positionals[0]!;
  out(
    `Created ${name} in ${dir} (kclts ${VERSION}${values.from ? `, linked to ${values.from}` : ""}):
  ${files.map((f) => f.path).join("\n  ")}

Next (Deno 2.9+, a JDK 17+ and Maven; no AWS account):
  cd ${shown}
  deno task demo   # the emulators, the real KCL daemon and processor.ts, live (Ctrl+C stops)
  deno task test   # processor_test.ts, with kclts's fake daemon

Then make processor.ts yours; README.md has the way to production (docker build, ECS, Kubernetes).
${
      values.from
        ? `deno.json "links" the checkout: remove "links" before docker build (the image takes kclts from JSR).\n`
        : ""
    }`,
  );
  return 0;
}
