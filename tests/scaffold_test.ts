/**
 * `init` and the files of a scaffolded project, checked statically (the proof that such a
 * project runs is tests/e2e/scaffold_test.ts): names, refusal to overwrite, files identical to
 * kclts's own, tasks with the launcher's flags, the Dockerfile's steps (`deno task compile`, the
 * runtime image), the compose file against kclts's, and the JSR path: every file `init`, the
 * emulators and the jar build read is published and readable over HTTP.
 *
 * @module
 */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  COPIED_FILES,
  denoJson,
  projectFiles,
  RUNTIME_IMAGE,
  validateName,
} from "../src/scaffold/files.ts";
import { compileArguments, PERMISSION_FLAGS } from "../src/runtime/permissions.ts";
import { hubFromEnv } from "../src/launcher/hub.ts";
import { VERSION } from "../src/version.ts";
import {
  baseImage,
  instructionWords,
  lastInstruction,
  parseCompose,
  parseCopy,
  parseDockerfile,
  readDockerfile,
} from "./_docker.ts";
import { findTool, ignoreWithout, repositoryFiles, runTool } from "./_tools.ts";
import { servePublished } from "./_published.ts";
import { ROOT, run } from "./_util.ts";
import { parse as parseYaml } from "yaml";
import { EMULATOR_FILES, emulatorsDir } from "../src/local/emulators.ts";
import { ensureSylviteJar, JAR_SOURCES, mavenMissingMessage } from "../src/local/jar.ts";
import { readPackageFile } from "../src/local/package.ts";

const decoder = new TextDecoder();
const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));

async function files(from?: string): Promise<Map<string, string>> {
  const list = await projectFiles(
    from === undefined ? { name: "my-consumer" } : {
      name: "my-consumer",
      from,
    },
  );
  return new Map(list.map((f) => [f.path, decoder.decode(f.content)]));
}

function init(args: string[], cwd: string) {
  return run(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/init.ts`, ...args],
    cwd,
    env: { NO_COLOR: "1" },
  });
}

Deno.test("validateName() accepts DNS-style names and explains the rule otherwise", () => {
  for (const name of ["my-consumer", "a", "orders2", "a1-b2"]) {
    strictEqual(validateName(name), undefined);
  }
  for (const name of ["My", "1abc", "a_b", "a-", "-a", "a--b", "a.b", "", "a".repeat(64)]) {
    ok(validateName(name)?.includes("lower-case letters, digits and single hyphens"), name);
  }
});

Deno.test("kclts's template, its test, properties/ and the LocalStack hooks are copied as they are", async () => {
  const project = await files();
  for (const [path] of COPIED_FILES) {
    strictEqual(project.get(path), await Deno.readTextFile(`${ROOT}/${path}`), path);
  }
  // The template imports kclts by name, so the copy works unchanged in a project.
  ok(project.get("processor.ts")!.includes('from "@kclts/kclts";'));
  ok(project.get("processor_test.ts")!.includes('from "@kclts/kclts/testing";'));
});

Deno.test("every properties file the project's compose file, README, tasks and Dockerfile name is in the project", async () => {
  const project = await files();
  const generated = ["docker-compose.yml", "README.md", "deno.json", "Dockerfile"];
  const named = new Set<string>();
  for (const path of generated) {
    // `properties/x.properties`, `/opt/kclts/properties/x.properties` (the runtime image's copy
    // of the project's properties/) and a bare `x.properties` all name properties/x.properties.
    for (const [, file] of project.get(path)!.matchAll(/([\w-]+(?:\.[\w-]+)*\.properties)\b/g)) {
      named.add(`properties/${file}`);
    }
  }
  // The names include the compose file's launch arguments (else this would pass on none).
  const compose = parseCompose(project.get("docker-compose.yml")!);
  const configs = (compose.services["processor-emulators"]!.command ?? []).flatMap((arg) =>
    arg.match(/^--config=\/opt\/kclts\/(properties\/.+)$/)?.slice(1) ?? []
  );
  ok(configs.length > 0, "the compose file launches with --config=/opt/kclts/properties/...");
  for (const config of configs) ok(named.has(config), `${config} is among the names found`);
  for (const path of named) ok(project.has(path), `${path} is named but not written`);
});

Deno.test("deno.json: kclts from JSR at this version, the launcher's flags, kclts's compile arguments", async () => {
  const json = JSON.parse((await files()).get("deno.json")!);
  deepStrictEqual(json.imports, { "@kclts/kclts": `jsr:@kclts/kclts@^${VERSION}` });
  strictEqual(json.links, undefined);
  deepStrictEqual(Object.keys(json.tasks).sort(), [
    "compile",
    "compile:hub",
    "demo",
    "launch",
    "processor",
    "provision",
    "test",
  ]);
  const flags = PERMISSION_FLAGS.join(" ");
  strictEqual(json.tasks.processor, `deno run ${flags} processor.ts`);
  strictEqual(json.tasks.launch, `deno run ${flags} processor.ts launch`);
  strictEqual(json.tasks.provision, `deno run ${flags} processor.ts provision`);
  strictEqual(
    json.tasks.compile,
    `deno ${compileArguments("processor.ts", "dist/processor").join(" ")}`,
  );
  strictEqual(
    json.tasks["compile:hub"],
    `deno ${compileArguments("processor.ts", "dist/processor", "hub").join(" ")}`,
  );
  // The demo runs kclts's published ./local export.
  const [, , , specifier, command] = json.tasks.demo.split(" ");
  strictEqual(specifier, "@kclts/kclts/local");
  strictEqual(config.exports["./local"], "./local.ts");
  strictEqual(command, "demo");
  deepStrictEqual(denoJson({ from: "/src/kclts" }).links, ["/src/kclts"]);
});

Deno.test("Dockerfile: deno task compile in the Deno image, then the binary where the runtime image runs it", async () => {
  const project = await files();
  const dockerfile = parseDockerfile(project.get("Dockerfile")!);
  strictEqual(dockerfile.stages.length, 2);
  const [build, runtime] = dockerfile.stages as [
    typeof dockerfile.stages[0],
    typeof dockerfile.stages[0],
  ];
  strictEqual(baseImage(dockerfile, build), "denoland/deno:2.9.6");
  strictEqual(baseImage(dockerfile, runtime), RUNTIME_IMAGE);
  strictEqual(RUNTIME_IMAGE, `ghcr.io/kclts/kclts-runtime:${VERSION}`);
  const runs = build.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
  ok(runs[0]!.startsWith("deno install --frozen"), runs[0]);
  // The step the tests run (deno task compile, or compile:hub for hub mode), not a copy of its
  // flags; KCLTS_HUB means what it means to the launcher (hubFromEnv). The RUN line runs here
  // under sh with a stand-in `deno` that prints its arguments.
  ok(build.instructions.some((i) => i.keyword === "ARG" && i.args === "KCLTS_HUB=0"));
  const compileStep = async (value: string) =>
    await run("sh", {
      args: ["-c", `deno() { echo "deno $*"; }\n${runs.at(-1)}`],
      env: { KCLTS_HUB: value },
    });
  for (const value of ["1", "TRUE", "yes", "on", "", "0", "false", "Off", "no"]) {
    const { code, stdout } = await compileStep(value);
    strictEqual(code, 0, value);
    strictEqual(
      stdout.trim(),
      hubFromEnv(value) ? "deno task compile:hub" : "deno task compile",
      `KCLTS_HUB=${value}`,
    );
  }
  const bad = await compileStep("maybe");
  strictEqual(bad.code, 2);
  strictEqual(bad.stdout, "", "nothing compiled");
  ok(bad.stderr.includes('KCLTS_HUB must be 1 or 0 (true/false): got "maybe"'), bad.stderr);
  const output = JSON.parse(project.get("deno.json")!).tasks.compile.match(/--output (\S+)/)[1];
  const copies = runtime.instructions.filter((i) => i.keyword === "COPY").map((i) => parseCopy(i));
  deepStrictEqual(copies.map((c) => [c.from, c.sources, c.destination]), [
    ["build", [`/src/${output}`], "/opt/kclts/processor"],
  ]);
  // deno.lock is copied: a project must commit it (the README says so).
  ok(build.instructions.some((i) => i.keyword === "COPY" && i.args === "deno.json deno.lock ./"));
  ok(project.get("README.md")!.includes("Commit `deno.lock`"));
  ok(project.get(".dockerignore")!.includes("**/node_modules"));
});

Deno.test("the project's image is the runtime image the release workflow pushes, running the binary the project copies in", async () => {
  const release = parseYaml(await Deno.readTextFile(`${ROOT}/.github/workflows/release.yml`));
  strictEqual(`${release.env.IMAGE}:${VERSION}`, RUNTIME_IMAGE);
  const runtime = await readDockerfile("docker/runtime/Dockerfile");
  const entrypoint = instructionWords(lastInstruction(runtime.stages.at(-1)!, "ENTRYPOINT")!.args);
  const project = parseDockerfile((await files()).get("Dockerfile")!);
  const copy = parseCopy(lastInstruction(project.stages.at(-1)!, "COPY")!);
  ok(entrypoint.includes(copy.destination), `${entrypoint} runs ${copy.destination}`);
  // Nothing else in the project's final stage: user, entrypoint and environment are the image's.
  deepStrictEqual(project.stages.at(-1)!.instructions.map((i) => i.keyword), ["COPY"]);
});

const hadolint = findTool("hadolint");

Deno.test({
  name: "hadolint finds nothing in the project's Dockerfile",
  ignore: ignoreWithout("tests/scaffold_test.ts", { hadolint: hadolint !== undefined }),
  fn: async () => {
    const result = await runTool(hadolint!, ["-"], (await files()).get("Dockerfile")!);
    ok(result.success, `hadolint on the project's Dockerfile:\n${result.output}`);
  },
});

Deno.test("docker-compose.yml is kclts's, with the project's image and kclts's published tools for the emulators and the producer", async () => {
  const project = await files();
  const ours = parseCompose(await Deno.readTextFile(`${ROOT}/docker-compose.yml`));
  const theirs = parseCompose(project.get("docker-compose.yml")!);
  deepStrictEqual(Object.keys(theirs.services), Object.keys(ours.services));
  for (const name of ["processor", "processor-emulators"]) {
    const service = theirs.services[name]!;
    deepStrictEqual(service.environment, ours.services[name]!.environment, name);
    deepStrictEqual(service.command, ours.services[name]!.command, name);
    strictEqual(service.image, "my-consumer:local");
    deepStrictEqual(service.build, {
      context: ".",
      dockerfile: "Dockerfile",
      args: { KCLTS_HUB: "0" }, // ${KCLTS_HUB:-0}, interpolated
    });
    deepStrictEqual(service.build.args, { KCLTS_HUB: ours.services[name]!.build!.args.KCLTS_HUB });
  }
  deepStrictEqual(theirs.services.localstack, ours.services.localstack);
  for (const volume of theirs.services.localstack!.volumes) {
    const source = volume.split(":")[0]!.replace(/^\.\//, "");
    ok([...project.keys()].some((path) => path.startsWith(source)), `${source} is written`);
  }
  const tools = `jsr:@kclts/kclts@^${VERSION}/local`;
  for (const name of ["producer", "producer-emulators"]) {
    deepStrictEqual(theirs.services[name]!.command, ["run", "-A", tools, "producer"]);
    deepStrictEqual(theirs.services[name]!.environment, ours.services[name]!.environment);
  }
  const emulators = theirs.services.emulators!;
  // Node runs the emulators (as in the tests), Deno from npm runs kclts's command.
  deepStrictEqual(emulators.command, [
    "npx",
    "--yes",
    "deno@2.9.6",
    "run",
    "-A",
    tools,
    "emulators",
  ]);
  const emulatorImage = await readDockerfile("docker/emulators/Dockerfile");
  strictEqual(emulators.image, emulatorImage.globalArgs.get("NODE_IMAGE"));
  strictEqual(`denoland/deno:bin-2.9.6`, emulatorImage.globalArgs.get("DENO_BIN_IMAGE"));
  // `local emulators` reads these (src/local/cli.ts): every interface, the ports published,
  // the ready file the healthcheck looks for.
  const env = emulators.environment;
  strictEqual(env.EMULATOR_HOST, "0.0.0.0");
  deepStrictEqual(emulators.healthcheck!.test, ["CMD", "test", "-f", env.READY_FILE!]);
  deepStrictEqual(emulators.ports, [
    `127.0.0.1:${env.KINESIS_PORT}:${env.KINESIS_PORT}`,
    `127.0.0.1:${env.DYNAMODB_PORT}:${env.DYNAMODB_PORT}`,
  ]);
  const processor = theirs.services["processor-emulators"]!.environment;
  strictEqual(processor.KINESIS_ENDPOINT, `http://emulators:${env.KINESIS_PORT}`);
  strictEqual(processor.DYNAMODB_ENDPOINT, `http://emulators:${env.DYNAMODB_PORT}`);
  strictEqual(processor.APPLICATION_NAME, env.APPLICATION_NAME);
  strictEqual(processor.STREAM_NAME, env.STREAM_NAME);
});

Deno.test("init writes the project, refuses to overwrite (nothing written), --force overwrites; bad names and --from are errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kclts-init-" });
  try {
    const first = await init(["my-consumer"], dir);
    strictEqual(first.code, 0, first.stderr);
    ok(first.stdout.includes("cd my-consumer\n  deno task demo"), first.stdout);
    const project = `${dir}/my-consumer`;
    const hook = Deno.statSync(`${project}/docker/localstack/ready.d/10-kclts-stream.sh`);
    ok((hook.mode ?? 0) & 0o100, "the LocalStack hook is executable");
    await Deno.writeTextFile(`${project}/processor.ts`, "// mine\n");
    await Deno.remove(`${project}/README.md`);
    const again = await init(["my-consumer"], dir);
    strictEqual(again.code, 1);
    ok(again.stderr.includes("already has deno.json, processor.ts"), again.stderr);
    ok(again.stderr.includes("--force"), again.stderr);
    strictEqual(await Deno.readTextFile(`${project}/processor.ts`), "// mine\n");
    await rejects(() => Deno.stat(`${project}/README.md`), Deno.errors.NotFound);
    const forced = await init(["my-consumer", "--force"], dir);
    strictEqual(forced.code, 0, forced.stderr);
    strictEqual(
      await Deno.readTextFile(`${project}/processor.ts`),
      await Deno.readTextFile(`${ROOT}/processor.ts`),
    );
    const bad = await init(["My_Consumer"], dir);
    strictEqual(bad.code, 2);
    ok(bad.stderr.includes('"My_Consumer" is not a valid project name'), bad.stderr);
    const notKclts = await init(["other", "--from", dir], dir);
    strictEqual(notKclts.code, 2);
    ok(notKclts.stderr.includes("no readable deno.json"), notKclts.stderr);
    const none = await init([], dir);
    strictEqual(none.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("from JSR: everything init, the emulators and the jar build read is published, and read over HTTP", async () => {
  await using server = await servePublished();
  const published = server.files;
  const needed = [
    ...COPIED_FILES.map(([path]) => path),
    "docker-compose.yml",
    ...EMULATOR_FILES,
    ...JAR_SOURCES,
    "local.ts",
    "init.ts",
  ];
  for (const path of needed) ok(published.has(path), `${path} is published`);
  // Every source of the jar is among those the build outside a clone fetches.
  deepStrictEqual(
    repositoryFiles((path) => path.startsWith("sylvite/")).sort(),
    [...JAR_SOURCES].sort(),
  );
  const cache = await Deno.makeTempDir({ prefix: "kclts-cache-" });
  try {
    const root = server.root;
    const remote = await projectFiles({ name: "my-consumer", root });
    const local = await files();
    deepStrictEqual(new Map(remote.map((f) => [f.path, decoder.decode(f.content)])), local);
    // The emulators' files land in the cache directory, where npm installs them.
    const dir = await emulatorsDir({ KCLTS_CACHE_DIR: cache }, root);
    strictEqual(dir, `${cache}/emulators`);
    for (const file of EMULATOR_FILES) {
      const name = file.slice(file.lastIndexOf("/") + 1);
      deepStrictEqual(
        await Deno.readFile(`${dir}/${name}`),
        await Deno.readFile(`${ROOT}/${file}`),
      );
    }
    // The jar: without Maven, an error that says what to install and the way around it.
    await rejects(
      () => ensureSylviteJar({ env: { KCLTS_CACHE_DIR: cache }, root, maven: "/nonexistent/mvn" }),
      (error: Error) =>
        error.message === mavenMissingMessage("/nonexistent/mvn", `${cache}/sylvite/pom.xml`),
    );
    deepStrictEqual(
      await Deno.readFile(`${cache}/sylvite/pom.xml`),
      await readPackageFile("sylvite/pom.xml"),
      "the published pom is in the cache, ready for mvn",
    );
    ok(mavenMissingMessage("mvn", "/p/pom.xml").includes("set KCLTS_JAR"));
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
