/**
 * The files of a new consumer project (`init`): most are kclts's own files,
 * read from the package (a checkout or JSR) so that they cannot drift from
 * what kclts tests: `processor.ts`, `processor_test.ts`, `properties/`, the
 * LocalStack hooks, and `docker-compose.yml` rewritten for a project that
 * imports kclts instead of containing it. `deno.json`, the Dockerfile and the
 * README are generated from kclts's version and permission flags.
 *
 * @module
 */

import { parseDocument } from "yaml";
import { compileArguments, PERMISSION_FLAGS } from "../runtime/permissions.ts";
import { HUB_OFF, HUB_ON } from "../launcher/hub.ts";
import { PACKAGE_ROOT, readPackageFile } from "../local/package.ts";
import { VERSION } from "../version.ts";

/** One file to write. */
export interface ProjectFile {
  /** Its path, relative to the project directory. */
  readonly path: string;
  /** Its content. */
  readonly content: Uint8Array;
  /** Unix permission bits, for scripts. */
  readonly mode?: number;
}

/** Options of {@linkcode projectFiles}. */
export interface ProjectOptions {
  /** The project's name (a validated {@linkcode validateName}). */
  name: string;
  /** A kclts checkout to use instead of JSR (an absolute path): deno.json `links` it. */
  from?: string;
  /** The kclts package the files come from. @default {this package} */
  root?: URL;
}

/** kclts's files a project gets as they are, with their modes. */
export const COPIED_FILES: readonly (readonly [string, number?])[] = [
  ["processor.ts"],
  ["processor_test.ts"],
  ["properties/kcl.properties"],
  ["properties/local.properties"],
  ["properties/local-polling.properties"],
  ["docker/localstack/ready.d/10-kclts-stream.sh", 0o755],
  ["docker/localstack/healthcheck.sh", 0o755],
];

/** The runtime image a project's Dockerfile builds on (published by kclts's release workflow). */
export const RUNTIME_IMAGE = `ghcr.io/kclts/kclts-runtime:${VERSION}`;
/** The Deno image that compiles the processor, and runs kclts's producer in compose. */
export const DENO_IMAGE = "denoland/deno:2.9.6";
/**
 * The Node image of the emulators in compose (that of kclts's emulator image): the emulators run
 * under Node, as in kclts's tests, and Deno comes from npm (`npx deno@<version>`).
 */
export const NODE_IMAGE = "node:22.23.2-bookworm-slim";
/** The specifier of kclts in a project's deno.json. */
export const KCLTS_SPECIFIER = `jsr:@kclts/kclts@^${VERSION}`;

/**
 * Checks a project name: lower-case letters, digits and hyphens, starting with a letter, at most
 * 63 characters (it names the directory, the image and the KCL application).
 *
 * @param name The name.
 * @returns An error message, or `undefined` if the name is valid.
 */
export function validateName(name: string): string | undefined {
  if (/^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name) && !name.includes("--")) return undefined;
  return `"${name}" is not a valid project name: use lower-case letters, digits and single ` +
    "hyphens, starting with a letter and not ending with a hyphen, at most 63 characters " +
    "(it names the directory, the container image and the KCL application), e.g. my-consumer";
}

/**
 * The project's deno.json: kclts from JSR (or `links` to a checkout), and the tasks.
 *
 * @param options The name and `from`.
 * @returns The object.
 */
export function denoJson(options: Pick<ProjectOptions, "from">): Record<string, unknown> {
  const flags = PERMISSION_FLAGS.join(" ");
  return {
    imports: { "@kclts/kclts": KCLTS_SPECIFIER },
    ...(options.from === undefined ? {} : { links: [options.from] }),
    tasks: {
      processor: `deno run ${flags} processor.ts`,
      launch: `deno run ${flags} processor.ts launch`,
      provision: `deno run ${flags} processor.ts provision`,
      test: "deno test -A",
      compile: `deno ${compileArguments("processor.ts", "dist/processor").join(" ")}`,
      "compile:hub": `deno ${compileArguments("processor.ts", "dist/processor", "hub").join(" ")}`,
      demo: "deno run -A @kclts/kclts/local demo",
    },
  };
}

/** `sh` case patterns matching each word in any letter case: `on` -> `[oO][nN]`. */
function shellPatterns(words: readonly string[]): string {
  return words.map((word) =>
    [...word].map((c) => c.toLowerCase() === c.toUpperCase() ? c : `[${c}${c.toUpperCase()}]`)
      .join("")
  ).join("|");
}

/**
 * The project's Dockerfile: two stages, `deno task compile`, then the binary in kclts's runtime
 * image (Java, sylvite.jar, properties/, tini, a non-root user, the entrypoint).
 *
 * @param name The project's name.
 * @returns The text.
 */
export function dockerfile(name: string): string {
  return `# ${name}: a Kinesis consumer image, the processor compiled into kclts's runtime image.
#
#   docker build -t ${name} .
#   docker run --rm -e STREAM_NAME=orders -e AWS_REGION=eu-west-1 ${name}
#
# The runtime image (${RUNTIME_IMAGE.replace(/:.*/, "")}, one tag per kclts release) has Java,
# the KCL MultiLangDaemon (sylvite.jar), properties/, tini as PID 1, user 10001, the
# environment and the entrypoint "/opt/kclts/processor launch"; this file adds the processor.
# properties/ here are for local runs (deno task launch, docker compose); to change the image's
# template, COPY yours to /opt/kclts/properties/ or set KCLTS_PROPERTIES.

ARG DENO_IMAGE=${DENO_IMAGE}
ARG RUNTIME_IMAGE=${RUNTIME_IMAGE}

FROM \${DENO_IMAGE} AS build
WORKDIR /src
# Dependencies first (a cached layer), and denort, which deno compile downloads once.
COPY deno.json deno.lock ./
RUN deno install --frozen \\
  && printf 'export {};\\n' > /tmp/warm.ts \\
  && deno compile --no-config --output /tmp/warm /tmp/warm.ts \\
  && rm /tmp/warm /tmp/warm.ts
COPY . .
# The task the project's tests use: kclts's permission flags, --frozen, dist/processor.
# --build-arg KCLTS_HUB=1: compile:hub, a binary for hub mode (run it with -e KCLTS_HUB=1);
# KCLTS_HUB takes the values the launcher takes.
ARG KCLTS_HUB=0
RUN case "\${KCLTS_HUB}" in \\
    ${shellPatterns(HUB_ON)}) deno task compile:hub ;; \\
    ""|${shellPatterns(HUB_OFF)}) deno task compile ;; \\
    *) echo "KCLTS_HUB must be 1 or 0 (true/false): got \\"\${KCLTS_HUB}\\"" >&2; exit 2 ;; \\
  esac

FROM \${RUNTIME_IMAGE}
COPY --from=build /src/dist/processor /opt/kclts/processor
`;
}

/** The project's .dockerignore. */
export const DOCKERIGNORE =
  `# Kept out of the build context: installed dependencies (deno compile would embed a
# node_modules folder), build outputs, VCS data and local secrets.
**/node_modules
.git
dist
**/*.log
**/.env
**/.env.*
`;

/** The project's .gitignore. */
export const GITIGNORE = `/dist/
/node_modules/
.env
`;

/**
 * kclts's docker-compose.yml, rewritten for a project: the processor is built from the project's
 * Dockerfile; the producer and the token-free emulators run kclts's local tools from JSR in the
 * Deno image, the emulators in the Node image with Deno from npm (no kclts checkout needed);
 * LocalStack and its hooks are unchanged.
 *
 * @param source kclts's docker-compose.yml.
 * @param name The project's name.
 * @returns The project's compose file.
 */
export function composeFile(source: string, name: string): string {
  const doc = parseDocument(source);
  const tools = (command: string, ...args: string[]) => [
    "run",
    "-A",
    `${KCLTS_SPECIFIER}/local`,
    command,
    ...args,
  ];
  // The project's Dockerfile takes KCLTS_HUB as kclts's does (compile:hub for hub mode).
  doc.setIn(
    ["x-processor", "build"],
    doc.createNode({ context: ".", args: { KCLTS_HUB: "${KCLTS_HUB:-0}" } }),
  );
  doc.setIn(["x-processor", "image"], `${name}:local`);
  doc.deleteIn(["x-producer", "build"]);
  doc.setIn(["x-producer", "image"], DENO_IMAGE);
  doc.setIn(["x-producer", "command"], doc.createNode(tools("producer"), { flow: true }));
  doc.deleteIn(["services", "emulators", "build"]);
  doc.setIn(["services", "emulators", "image"], NODE_IMAGE);
  const deno = `deno@${DENO_IMAGE.slice(DENO_IMAGE.lastIndexOf(":") + 1)}`;
  doc.setIn(
    ["services", "emulators", "command"],
    doc.createNode(["npx", "--yes", deno, ...tools("emulators")], { flow: true }),
  );
  doc.setIn(["services", "emulators", "environment", "EMULATOR_HOST"], "0.0.0.0");
  const ready = doc.getIn(["services", "emulators", "healthcheck", "test"]);
  const readyFile = (ready as { items?: { value?: unknown }[] })?.items?.at(-1)?.value;
  if (typeof readyFile === "string") {
    doc.setIn(["services", "emulators", "environment", "READY_FILE"], readyFile);
  }
  const header =
    `# ${name} on one machine: the consumer image built from ./Dockerfile, a local AWS and a
# producer (kclts's docker-compose.yml, for a project that imports kclts).
#
`;
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd() + "\n";
  return header + text.replace(/^# kclts on one machine:[^\n]*\n#\n?/, "");
}

/**
 * The project's README: the same commands as kclts's own, and the way to production.
 *
 * @param name The project's name.
 * @returns The text.
 */
export function readme(name: string): string {
  return `# ${name}

A Kinesis stream consumer in TypeScript on Deno, built with
[kclts](https://jsr.io/@kclts/kclts): the Amazon KCL MultiLangDaemon runs
[processor.ts](processor.ts) once per shard it leases.

## Two commands

On a machine with Deno 2.9+, a JDK 17+ and Maven (Node.js, if present, runs the emulators; no AWS
account needed):

\`\`\`sh
deno task demo   # local Kinesis + DynamoDB emulators, the real KCL daemon, processor.ts, live
deno task test   # the processor's tests (processor_test.ts), with kclts's fake daemon
\`\`\`

\`deno task demo\` builds the daemon's jar once (Maven, into \`~/.cache/kclts/\`), starts the emulators
on 127.0.0.1, creates a 4-shard stream, launches processor.ts through the daemon, puts sample
records and shows records put vs processed per shard and the checkpoints in DynamoDB. Ctrl+C stops
everything. \`deno task demo other.ts\` runs another processor file.

## Tasks

\`\`\`sh
deno task processor   # child mode: what the daemon runs (one process per shard)
deno task launch      # start the daemon for STREAM_NAME, AWS_REGION, ... (processor.ts launch)
deno task provision   # create KCL's tables with your rules first (--help: billing, tags, KMS, ...)
deno task compile     # one binary, dist/processor: both the child and the launcher
deno task demo        # the local pipeline, live (--seconds N to stop by itself)
deno task test        # the tests
\`\`\`

\`deno task launch --help\` lists the configuration (environment, \`properties/kcl.properties\`,
\`--config=FILE\`). Against the emulators of \`deno run -A ${KCLTS_SPECIFIER}/local emulators\`:
\`deno task launch --config=properties/local.properties\` with the environment it prints (add
\`--config=properties/local-polling.properties\` to poll instead of enhanced fan-out); sample
records: \`deno run -A ${KCLTS_SPECIFIER}/local producer\`.

## Production

\`\`\`sh
docker build -t ${name} .
docker run --rm -e STREAM_NAME=orders -e AWS_REGION=eu-west-1 ${name}
\`\`\`

The [Dockerfile](Dockerfile) compiles processor.ts (\`deno task compile\`) and copies the binary into
kclts's runtime image (Java, the daemon, tini, non-root). Commit \`deno.lock\`: the image build
uses it (\`--frozen\`). [docker-compose.yml](docker-compose.yml) runs the image against LocalStack
(\`LOCALSTACK_AUTH_TOKEN\`), or against the token-free emulators:
\`docker compose --profile emulators up --build emulators processor-emulators producer-emulators\`.
kclts's README has the environment variables, the IAM policy and the ECS and Kubernetes examples.
`;
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * Every file of a new project, in writing order.
 *
 * @param options The name, `from`, and the package the files come from.
 * @returns The files.
 */
export async function projectFiles(options: ProjectOptions): Promise<ProjectFile[]> {
  const root = options.root ?? PACKAGE_ROOT;
  const files: ProjectFile[] = [
    { path: "deno.json", content: bytes(JSON.stringify(denoJson(options), null, 2) + "\n") },
  ];
  for (const [path, mode] of COPIED_FILES) {
    const content = await readPackageFile(path, root);
    files.push(mode === undefined ? { path, content } : { path, content, mode });
  }
  const compose = new TextDecoder().decode(await readPackageFile("docker-compose.yml", root));
  files.push(
    { path: "Dockerfile", content: bytes(dockerfile(options.name)) },
    { path: ".dockerignore", content: bytes(DOCKERIGNORE) },
    { path: "docker-compose.yml", content: bytes(composeFile(compose, options.name)) },
    { path: ".gitignore", content: bytes(GITIGNORE) },
    { path: "README.md", content: bytes(readme(options.name)) },
  );
  return files;
}
