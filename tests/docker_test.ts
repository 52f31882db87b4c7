/**
 * The container template agrees with the repository: the Dockerfiles, the
 * compose file and .dockerignore are read as data (tests/_docker.ts) and
 * checked against the launcher's contracts; `docker-compose config`
 * validates the compose file; the producer and the emulator container's
 * entry run against local servers. No Docker engine is needed.
 *
 * @module
 */

import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import {
  baseImage,
  type ComposeService,
  type Dockerfile,
  dockerignoreMatcher,
  type DockerInstruction,
  type DockerStage,
  imageStage,
  instructionWords,
  interpolate,
  lastInstruction,
  parseCompose,
  parseCopy,
  parseDockerfile,
  parseDuration,
  readCompose,
  readDockerfile,
  shellWords,
  stageEnv,
  stageVariables,
  substitute,
} from "./_docker.ts";
import { emulatorCommands, settingsFromEnv } from "../docker/emulators/main.ts";
import { resolveConfig } from "../src/launcher/config.ts";
import { JAR_NAME, TEMPLATE_PATH } from "../src/launcher/paths.ts";
import { loggingFromEnv } from "../mod.ts";
import { withRuntimeBlock } from "../tools/dockerfile.ts";
import { compileArguments } from "../tools/compile.ts";
import { freePort, readmeBlock, ROOT, run } from "./_util.ts";
import {
  accepted,
  BINARY,
  CHILD_LOGGING,
  DAEMON_LOGGING,
  IMAGE_DIR,
  templateEnv,
} from "./_container.ts";
import {
  produce,
  type ProducedRecord,
  producerConfig,
  sampleRecord,
} from "../src/local/producer.ts";
import { ensureEmulatorsInstalled, listShards, scanLeases } from "../src/local/emulators.ts";

const DOCKERFILES = [
  "Dockerfile",
  "docker/runtime/Dockerfile",
  "docker/emulators/Dockerfile",
  "docker/producer/Dockerfile",
];
const compose = await readCompose();
const dockerfile = await readDockerfile();
/** The consumer image: the runtime stage plus the processor. */
const runtime = imageStage(dockerfile);
const ignored = dockerignoreMatcher(await Deno.readTextFile(`${ROOT}/.dockerignore`));

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function stage(file: Dockerfile, name: string): DockerStage {
  const found = file.stages.find((s) => s.name === name);
  ok(found, `stage ${name}`);
  return found;
}

function stageOf(file: Dockerfile, reference: string): DockerStage | undefined {
  return file.stages.find((s) => s.name === reference || String(s.index) === reference);
}

/** Services built from the root Dockerfile: the processor, once per backend. */
function processorServices(): ComposeService[] {
  const services = Object.values(compose.services).filter((s) =>
    s.build?.context === "." && s.build.dockerfile === "Dockerfile"
  );
  ok(services.length >= 2, "a processor service per backend");
  return services;
}

function properties(path: string): { path: string; text: string } {
  return { path, text: Deno.readTextFileSync(`${ROOT}/${path}`) };
}

// ---------------------------------------------------------------------------------------------
// docker-compose config
// ---------------------------------------------------------------------------------------------

function dockerComposeAvailable(): boolean {
  try {
    return new Deno.Command("docker-compose", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const haveDockerCompose = dockerComposeAvailable();
if (!haveDockerCompose) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      "tests/docker_test.ts: docker-compose is not installed (apt-get install " +
        "--no-install-recommends docker-compose): the compose validation test is skipped\n",
    ),
  );
}

Deno.test({
  name: "docker-compose config validates docker-compose.yml, default and emulators profiles",
  ignore: !haveDockerCompose,
  fn: async () => {
    for (const profile of [[], ["--profile", "emulators"]]) {
      const env: Record<string, string> = {};
      for (const name of ["PATH", "HOME"]) {
        const value = Deno.env.get(name);
        if (value !== undefined) env[name] = value;
      }
      const output = await new Deno.Command("docker-compose", {
        args: [...profile, "config", "-q"],
        cwd: ROOT,
        clearEnv: true,
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stderr) +
        new TextDecoder().decode(output.stdout);
      ok(output.success, `docker-compose ${profile.join(" ")} config: ${text}`);
      strictEqual(text.trim(), "", "no warnings");
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Dockerfiles
// ---------------------------------------------------------------------------------------------

Deno.test("parseDockerfile() joins continuations, skips comments and groups stages", () => {
  const file = parseDockerfile([
    "# syntax comment",
    "ARG BASE=debian:12",
    "FROM ${BASE} AS one",
    "RUN a \\",
    "  # a comment inside a continuation",
    "  && b",
    'ENV A=1 B="two words"',
    "FROM one",
    "COPY --from=one --chown=1:1 /x /y /dest/",
    'ENTRYPOINT ["tini", "--", "app"]',
  ].join("\n"));
  strictEqual(file.stages.length, 2);
  strictEqual(baseImage(file, file.stages[0]!), "debian:12");
  strictEqual(file.stages[0]!.name, "one");
  strictEqual(file.stages[0]!.instructions[0]!.args, "a  && b");
  deepStrictEqual([...stageEnv(file, file.stages[0]!)], [["A", "1"], ["B", "two words"]]);
  const copy = parseCopy(file.stages[1]!.instructions[0]!);
  deepStrictEqual([copy.from, copy.sources, copy.destination], ["one", ["/x", "/y"], "/dest/"]);
  strictEqual(copy.flags.get("chown"), "1:1");
  deepStrictEqual(instructionWords(file.stages[1]!.instructions[1]!.args), ["tini", "--", "app"]);
  deepStrictEqual(shellWords(`a "b c" 'd e' f\\ g`), ["a", "b c", "d e", "f g"]);
  strictEqual(substitute("${A:-x}/${B:+y}/$C", new Map([["B", "1"]])), "x/y/");
});

Deno.test("every COPY source of every Dockerfile exists and is in the build context", async () => {
  for (const path of DOCKERFILES) {
    const file = await readDockerfile(path);
    for (const s of file.stages) {
      const vars = stageVariables(file, s);
      for (const instruction of s.instructions) {
        ok(instruction.keyword !== "ADD", `${path}:${instruction.line}: use COPY, not ADD`);
        if (instruction.keyword !== "COPY") continue;
        const copy = parseCopy(instruction, vars);
        if (copy.from !== undefined) {
          ok(
            stageOf(file, copy.from),
            `${path}:${instruction.line}: --from=${copy.from} is a stage`,
          );
          continue;
        }
        for (const source of copy.sources) {
          ok(exists(`${ROOT}/${source}`), `${path}:${instruction.line}: ${source} exists`);
          ok(!ignored(source), `${path}:${instruction.line}: ${source} is not in .dockerignore`);
        }
      }
    }
  }
});

Deno.test("the producer and emulator images COPY every module their program imports", async () => {
  const images = [
    ["docker/producer/Dockerfile", "src/local/producer.ts"],
    ["docker/emulators/Dockerfile", "docker/emulators/main.ts"],
  ];
  for (const [path, entry] of images) {
    const file = await readDockerfile(path);
    // Both images keep the repository's layout under their WORKDIR.
    const copied = new Set<string>();
    for (const s of file.stages) {
      const vars = stageVariables(file, s);
      for (const instruction of s.instructions) {
        if (instruction.keyword !== "COPY") continue;
        const copy = parseCopy(instruction, vars);
        if (copy.from !== undefined) continue;
        for (const source of copy.sources) {
          copied.add(
            copy.destination.endsWith("/")
              ? copy.destination + source.split("/").pop()
              : copy.destination,
          );
        }
      }
    }
    const info = await run(Deno.execPath(), {
      args: ["info", "--json", "--no-config", "--no-lock", entry!],
      cwd: ROOT,
    });
    strictEqual(info.code, 0, info.stderr);
    const prefix = `file://${ROOT}/`;
    const modules = (JSON.parse(info.stdout).modules as { specifier: string }[])
      .map((m) => m.specifier)
      .filter((specifier) => specifier.startsWith(prefix))
      .map((specifier) => decodeURIComponent(specifier.slice(prefix.length)));
    ok(modules.includes(entry!), modules.join(", "));
    for (const module of modules) {
      ok(copied.has(module), `${path}: ${module}, imported by ${entry}, is copied into the image`);
    }
  }
});

Deno.test("every Dockerfile pins its base images, and all use the same Deno version", async () => {
  const denoVersions = new Set<string>();
  for (const path of DOCKERFILES) {
    const file = await readDockerfile(path);
    for (const s of file.stages) {
      const image = baseImage(file, s);
      if (stageOf(file, image)) continue;
      const tag = /^[^@]+:([^:/@]+)$/.exec(image)?.[1];
      ok(tag && /\d+\.\d+/.test(tag) && !/latest/.test(tag), `${path}: ${image} has a version tag`);
      const deno = /^denoland\/deno:(?:[a-z]+-)?(\d+\.\d+\.\d+)$/.exec(image);
      if (deno) denoVersions.add(deno[1]!);
      for (const instruction of s.instructions.filter((i) => i.keyword === "RUN")) {
        if (!/apt-get install/.test(instruction.args)) continue;
        ok(/--no-install-recommends/.test(instruction.args), `${path}:${instruction.line}`);
        ok(/rm -rf \/var\/lib\/apt\/lists/.test(instruction.args), `${path}:${instruction.line}`);
      }
    }
    ok(
      imageStage(file).instructions.some((i) => i.keyword === "USER") ||
        /^denoland\/deno:/.test(baseImage(file, file.stages.at(-1)!)),
      `${path}: the final image sets a non-root USER`,
    );
  }
  strictEqual(denoVersions.size, 1, `one Deno version: ${[...denoVersions]}`);
});

Deno.test("the processor stage compiles with `deno task compile` in a clean directory", () => {
  const build = stage(dockerfile, "build");
  ok(/^denoland\/deno:\d+\.\d+\.\d+$/.test(baseImage(dockerfile, build)));
  const compiles = build.instructions.filter((i) =>
    i.keyword === "RUN" && i.args.includes("deno task compile")
  );
  strictEqual(compiles.length, 1, "one RUN with deno task compile");
  const compile = compiles[0]!;
  // The entry file is a build argument whose default exists; compile.ts reads it.
  const vars = stageVariables(dockerfile, build);
  const entry = vars.get("PROCESSOR");
  ok(entry && exists(`${ROOT}/${entry}`), `ARG PROCESSOR=${entry} exists`);
  ok(compile.args.includes('"${PROCESSOR}"') || compile.args.includes("$PROCESSOR"));
  const output = /\bOUTPUT=(\S+)/.exec(compile.args)?.[1];
  ok(output, "the compile step sets OUTPUT");
  // The compile task is tools/compile.ts (tests/meta_test.ts checks its flags and --frozen),
  // which needs deno.lock in the context.
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  ok(config.tasks.compile.includes("tools/compile.ts"));
  ok(!ignored("deno.lock") && !ignored("deno.json") && !ignored(entry));
  // node_modules never reaches the compile directory (deno compile would embed it).
  for (
    const path of ["node_modules", "src/local/emulators/node_modules", "bench/x/node_modules/y"]
  ) {
    ok(ignored(path), `${path} is outside the build context`);
  }
  // The runtime ships exactly that output.
  const shipped = runtime.instructions.filter((i) => i.keyword === "COPY").map((i) => parseCopy(i))
    .find((c) => c.from === "build");
  deepStrictEqual([shipped?.sources, shipped?.destination], [[output], BINARY]);
});

Deno.test("the jar stage builds sylvite.jar from the pom and the runtime ships it next to the binary", () => {
  const jar = stage(dockerfile, "jar");
  ok(/^maven:3\.\d+\.\d+-eclipse-temurin-\d+/.test(baseImage(dockerfile, jar)));
  const workdir = lastInstruction(jar, "WORKDIR")?.args;
  const builds = jar.instructions.filter((i) => i.keyword === "RUN" && /\bmvn\b/.test(i.args));
  strictEqual(builds.length, 1, "one RUN with mvn");
  ok(/&& mvn -B -q "\$@" -f sylvite\/pom\.xml package$/.test(builds[0]!.args), builds[0]!.args);
  const copies = runtime.instructions.filter((i) => i.keyword === "COPY").map((i) => parseCopy(i));
  const shipped = copies.find((c) => c.from === "jar");
  deepStrictEqual(shipped?.sources, [`${workdir}/sylvite/target/${JAR_NAME}`]);
  // src/launcher/paths.ts: the jar and properties/kcl.properties next to the binary.
  strictEqual(shipped?.destination, `${IMAGE_DIR}/${JAR_NAME}`);
  const props = copies.find((c) => c.from === undefined && c.sources[0] === "properties/");
  strictEqual(props?.destination, `${IMAGE_DIR}/properties/`);
  ok(exists(`${ROOT}/${TEMPLATE_PATH}`));
});

/** A `RUN` instruction's `--flag=value` options and its shell command. */
function runParts(instruction: DockerInstruction): { flags: string[]; script: string } {
  const flags: string[] = [];
  let rest = instruction.args;
  for (let m = /^(--\S+)\s+/.exec(rest); m; m = /^(--\S+)\s+/.exec(rest)) {
    flags.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return { flags, script: rest };
}

Deno.test("the jar build uses a settings.xml passed as the build secret maven_settings, only when given, and never stores it", async () => {
  const jar = stage(await readDockerfile("docker/runtime/Dockerfile"), "jar");
  const build = jar.instructions.find((i) => i.keyword === "RUN" && /\bmvn\b/.test(i.args))!;
  const { flags, script } = runParts(build);
  // Docker mounts a secret at /run/secrets/<id> unless target= says otherwise.
  deepStrictEqual(flags, ["--mount=type=secret,id=maven_settings,required=false"]);
  const secret = "/run/secrets/maven_settings";
  ok(script.includes(secret));
  for (const file of DOCKERFILES.map((p) => Deno.readTextFileSync(`${ROOT}/${p}`))) {
    ok(!/settings\.xml/.test(file.replace(/^#.*$/gm, "")), "no settings.xml copied into a layer");
  }
  // The command itself, run by sh with a stand-in mvn that records its arguments.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/mvn`, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\n`, {
      mode: 0o755,
    });
    const run = async (withSecret: boolean) => {
      const path = `${dir}/secret-${withSecret}`;
      if (withSecret) await Deno.writeTextFile(path, "<settings/>");
      const { success } = await new Deno.Command("sh", {
        args: ["-c", script.replaceAll(secret, path)],
        env: { PATH: `${dir}:/usr/bin:/bin` },
        clearEnv: true,
      }).output();
      ok(success);
      return { path, args: (await Deno.readTextFile(`${dir}/args`)).trim().split("\n") };
    };
    deepStrictEqual((await run(false)).args, ["-B", "-q", "-f", "sylvite/pom.xml", "package"]);
    const given = await run(true);
    deepStrictEqual(given.args, ["-B", "-q", "-s", given.path, "-f", "sylvite/pom.xml", "package"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the top-level Dockerfile is docker/runtime/Dockerfile verbatim plus the processor", async () => {
  const top = await Deno.readTextFile(`${ROOT}/Dockerfile`);
  const runtimeText = await Deno.readTextFile(`${ROOT}/docker/runtime/Dockerfile`);
  strictEqual(
    withRuntimeBlock(top, runtimeText),
    top,
    "the block differs from docker/runtime/Dockerfile: run deno run -A tools/dockerfile.ts",
  );
  throws(() => withRuntimeBlock("FROM x\n", runtimeText), /needs the lines/);
  // The runtime image: its last stage, named runtime, with no processor in it.
  const own = await readDockerfile("docker/runtime/Dockerfile");
  const image = own.stages.at(-1)!;
  strictEqual(image.name, "runtime");
  for (const instruction of image.instructions.filter((i) => i.keyword === "COPY")) {
    ok(parseCopy(instruction).destination !== BINARY, "no processor in the runtime image");
  }
  // The top-level image: FROM that stage, adding the compiled binary and nothing else.
  const final = dockerfile.stages.at(-1)!;
  strictEqual(final.from, "runtime");
  deepStrictEqual(final.instructions.map((i) => i.keyword), ["COPY"]);
  // So the consumer image is the runtime image's configuration plus one COPY.
  deepStrictEqual(
    [...imageStage(own).instructions.map((i) => i.args), `--from=build /out/processor ${BINARY}`],
    runtime.instructions.map((i) => i.args),
  );
});

Deno.test("the README's own-image Dockerfile: deno task compile's flags, the same Deno, only the binary added", () => {
  const example = parseDockerfile(
    readmeBlock("### Your own image: `FROM` the runtime image", "dockerfile"),
  );
  deepStrictEqual(example.stages.map((s) => s.name), ["build", undefined]);
  const [build, final] = example.stages as [DockerStage, DockerStage];
  strictEqual(baseImage(example, build), baseImage(dockerfile, stage(dockerfile, "build")));
  const compile = build.instructions.filter((i) => i.keyword === "RUN").map((i) =>
    shellWords(i.args)
  )
    .find((words) => words[1] === "compile")!;
  const output = compile[compile.indexOf("--output") + 1]!;
  deepStrictEqual(compile, ["deno", ...compileArguments(compile.at(-1)!, output)]);
  strictEqual(compile.at(-1), "processor.ts");
  // tests/release_test.ts: final.from is the image release.yml pushes, of this version.
  deepStrictEqual(final.instructions.map((i) => i.args), [`--from=build ${output} ${BINARY}`]);
});

Deno.test("the runtime: a pinned Ubuntu JRE, tini as PID 1 running the launcher, a non-root user, no credentials", () => {
  ok(/^eclipse-temurin:\d+\.\d+\.\d+_\d+-jre-[a-z]+$/.test(baseImage(dockerfile, runtime)));
  ok(!/alpine/.test(baseImage(dockerfile, runtime)), "glibc, not musl");
  ok(
    runtime.instructions.some((i) =>
      i.keyword === "RUN" && /apt-get install [^&]*\btini\b/.test(i.args) &&
      /apt-get install [^&]*\bsocat\b/.test(i.args)
    ),
  );
  const entrypoint = instructionWords(lastInstruction(runtime, "ENTRYPOINT")!.args);
  deepStrictEqual(entrypoint, ["/usr/bin/tini", "--", BINARY]);
  deepStrictEqual(instructionWords(lastInstruction(runtime, "CMD")!.args), ["launch"]);
  const user = lastInstruction(runtime, "USER")!.args;
  ok(/^[1-9]\d*(:[1-9]\d*)?$/.test(user), `numeric non-root USER: ${user}`);
  strictEqual(lastInstruction(runtime, "STOPSIGNAL")?.args ?? "SIGTERM", "SIGTERM");
  for (const file of DOCKERFILES.map((p) => Deno.readTextFileSync(`${ROOT}/${p}`))) {
    for (const secret of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
      ok(!file.includes(secret), `no ${secret} in a Dockerfile`);
    }
    ok(!/LOCALSTACK_AUTH_TOKEN/.test(file));
  }
});

Deno.test("`docker run -e STREAM_NAME -e APPLICATION_NAME -e AWS_REGION <image>`: the launcher's configuration is valid and runs the binary", () => {
  const env: Record<string, string> = {
    ...Object.fromEntries(stageEnv(dockerfile, runtime)),
    STREAM_NAME: "orders",
    APPLICATION_NAME: "orders-consumer",
    AWS_REGION: "eu-west-1",
  };
  for (const name of Object.keys(Object.fromEntries(stageEnv(dockerfile, runtime)))) {
    ok(accepted(name), `the image's ENV ${name} is read by kclts`);
  }
  loggingFromEnv(env);
  const config = resolveConfig({
    files: [properties(TEMPLATE_PATH)],
    env,
    overrides: [],
    executableName: BINARY,
    hostname: "0123456789ab",
  });
  deepStrictEqual(config.errors, []);
  deepStrictEqual(config.warnings, []);
  const p = config.properties;
  strictEqual(p.get("executableName"), BINARY);
  strictEqual(p.get("AwsCredentialsProvider"), "DefaultCredentialsProvider");
  strictEqual(p.get("workerId"), "0123456789ab");
  const stop = Number(env.KCLTS_STOP_TIMEOUT_SECONDS ?? 10);
  strictEqual(p.get("shutdownGraceMillis"), String(stop * 1000 - 2000));
  ok(stop <= 10, "fits `docker stop`'s default 10 s timeout");
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml
// ---------------------------------------------------------------------------------------------

Deno.test("the accepted names are the ones kclts, the daemon and the template read", () => {
  const logging = Deno.readTextFileSync(`${ROOT}/src/runtime/logging.ts`);
  for (const name of CHILD_LOGGING) {
    ok(logging.includes(name), `src/runtime/logging.ts reads ${name}`);
  }
  const logback = Deno.readTextFileSync(`${ROOT}/sylvite/src/main/resources/logback.xml`);
  for (const name of DAEMON_LOGGING) {
    ok(logback.includes(`\${${name}`), `logback.xml reads ${name}`);
  }
  deepStrictEqual(templateEnv.sort(), ["CHECKPOINT_FREQ_SECONDS", "RECORDS_PER_CHECKPOINT"]);
  ok(accepted("KCL_MAX_RECORDS") && !accepted("KCL_MAX_RECORD") && !accepted("STREAM"));
});

Deno.test("the processor services: built from the Dockerfile, every variable one kclts reads, a valid configuration", () => {
  const declaredArgs = new Set(
    dockerfile.stages.flatMap((s) => [...stageVariables(dockerfile, s).keys()]),
  );
  for (const service of processorServices()) {
    const where = `service ${service.name}`;
    for (const arg of Object.keys(service.build!.args)) {
      ok(declaredArgs.has(arg), `${where}: ${arg}`);
    }
    const entry = service.build!.args.PROCESSOR;
    ok(entry === undefined || exists(`${ROOT}/${entry}`), `${where}: PROCESSOR=${entry}`);
    for (const name of Object.keys(service.environment)) ok(accepted(name), `${where}: ${name}`);
    const env = { ...Object.fromEntries(stageEnv(dockerfile, runtime)), ...service.environment };
    loggingFromEnv(env);
    // The command: the launcher, with image paths that exist in the repository.
    const command = service.command ?? instructionWords(lastInstruction(runtime, "CMD")!.args);
    strictEqual(command[0], "launch", where);
    const configs = command.slice(1).map((arg) => {
      ok(arg.startsWith(`--config=${IMAGE_DIR}/properties/`), `${where}: ${arg}`);
      return properties(arg.slice(`--config=${IMAGE_DIR}/`.length));
    });
    const config = resolveConfig({
      files: [properties(TEMPLATE_PATH), ...configs],
      env,
      overrides: [],
      executableName: BINARY,
      hostname: "container",
    });
    deepStrictEqual(config.errors, [], where);
    deepStrictEqual(config.warnings, [], where);
    const p = config.properties;
    strictEqual(p.get("executableName"), BINARY);
    strictEqual(
      p.get("regionName"),
      "us-east-1",
      `${where}: kinesis-mock keeps streams per region`,
    );
    strictEqual(p.get("AwsCredentialsProvider"), "EnvironmentVariableCredentialsProvider");
    ok(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY, `${where}: dummy credentials`);
    strictEqual(p.get("metricsLevel"), "NONE");
    // Stop: the daemon's grace < KCLTS_STOP_TIMEOUT_SECONDS <= stop_grace_period.
    const stop = Number(env.KCLTS_STOP_TIMEOUT_SECONDS);
    strictEqual(Number(p.get("shutdownGraceMillis")), stop * 1000 - 2000);
    ok(stop <= service.stopGraceSeconds, `${where}: stop_grace_period >= ${stop} s`);
    // Endpoints: the service it waits for, on the port that service listens on.
    const [backend, ...others] = Object.keys(service.dependsOn);
    deepStrictEqual(others, [], `${where}: one backend`);
    strictEqual(service.dependsOn[backend!]!.condition, "service_healthy");
    const ports = backend === "emulators"
      ? (() => {
        const s = settingsFromEnv(compose.services.emulators!.environment);
        return { KINESIS_ENDPOINT: s.kinesisPort, DYNAMODB_ENDPOINT: s.dynamoPort };
      })()
      : { KINESIS_ENDPOINT: 4566, DYNAMODB_ENDPOINT: 4566 };
    for (const [key, port] of Object.entries(ports)) {
      strictEqual(env[key], `http://${backend}:${port}`, `${where}: ${key}`);
    }
  }
});

Deno.test("the stream (and with dynalite the lease table) exist before the processor and the producer start", () => {
  const services = compose.services;
  const stream = services.processor!.environment.STREAM_NAME;
  const application = services.processor!.environment.APPLICATION_NAME;
  for (const service of Object.values(services)) {
    if (service.environment.STREAM_NAME !== undefined) {
      strictEqual(service.environment.STREAM_NAME, stream, `${service.name}: one stream`);
    }
    if (service.environment.APPLICATION_NAME !== undefined) {
      strictEqual(service.environment.APPLICATION_NAME, application, `${service.name}`);
    }
    for (const [name, dependency] of Object.entries(service.dependsOn)) {
      strictEqual(dependency.condition, "service_healthy", `${service.name} waits for ${name}`);
      ok(services[name]?.healthcheck?.test.length, `${name} has a healthcheck`);
      deepStrictEqual(services[name]!.profiles, service.profiles, `${service.name}, ${name}`);
    }
  }
  for (const name of ["producer", "producer-emulators"]) {
    const producer = services[name]!;
    strictEqual(Object.values(producer.dependsOn)[0]?.condition, "service_healthy");
    const config = producerConfig(producer.environment);
    const backend = Object.keys(producer.dependsOn)[0]!;
    ok(config.endpoint.startsWith(`http://${backend}:`), `${name} puts into ${backend}`);
  }

  // LocalStack: the ready hook creates the stream; the healthcheck waits for it.
  const localstack = services.localstack!;
  const mounts = new Map(localstack.volumes.map((v) => {
    const [source, target] = v.split(":");
    ok(exists(`${ROOT}/${source}`), `${source} exists`);
    return [target!, source!.replace(/^\.\//, "")];
  }));
  const hooks = mounts.get("/etc/localstack/init/ready.d")!;
  ok(hooks, "a ready.d hook directory");
  for (const entry of Deno.readDirSync(`${ROOT}/${hooks}`)) {
    const mode = Deno.statSync(`${ROOT}/${hooks}/${entry.name}`).mode ?? 0;
    ok(mode & 0o111, `${entry.name} is executable`);
    ok(/create-stream/.test(Deno.readTextFileSync(`${ROOT}/${hooks}/${entry.name}`)));
  }
  const test = localstack.healthcheck!.test;
  const script = mounts.get(test.at(-1)!);
  ok(script && /describe-stream-summary/.test(Deno.readTextFileSync(`${ROOT}/${script}`)));
  strictEqual(localstack.environment.STREAM_NAME, stream);
  strictEqual(localstack.environment.AWS_DEFAULT_REGION, "us-east-1");

  // The emulators: stream and lease table made by docker/emulators/main.ts before the ready file.
  const emulators = services.emulators!;
  const settings = settingsFromEnv(emulators.environment);
  deepStrictEqual(emulators.healthcheck!.test, ["CMD", "test", "-f", settings.readyFile]);
  const image = parseDockerfile(Deno.readTextFileSync(`${ROOT}/docker/emulators/Dockerfile`));
  const imageHealth = lastInstruction(image.stages.at(-1)!, "HEALTHCHECK")!.args;
  const imageTest = /\bCMD\s+(\[.*\])$/.exec(imageHealth)?.[1] ?? "[]";
  deepStrictEqual(["CMD", ...JSON.parse(imageTest)], emulators.healthcheck!.test, "same check");
  for (const port of [settings.kinesisPort, settings.dynamoPort]) {
    ok(emulators.ports.includes(`127.0.0.1:${port}:${port}`), `port ${port} published locally`);
  }
});

Deno.test("profiles: `docker compose up` is LocalStack with the token passed through; the emulators profile stands alone", async () => {
  const byProfile = (profile: string) =>
    Object.values(compose.services).filter((s) =>
      profile === "" ? s.profiles.length === 0 : s.profiles.includes(profile)
    ).map((s) => s.name).sort();
  deepStrictEqual(byProfile(""), ["localstack", "processor", "producer"]);
  deepStrictEqual(byProfile("emulators"), [
    "emulators",
    "processor-emulators",
    "producer-emulators",
  ]);
  strictEqual(compose.services.localstack!.environment.LOCALSTACK_AUTH_TOKEN, "");
  const text = await Deno.readTextFile(`${ROOT}/docker-compose.yml`);
  const withToken = parseCompose(text, { LOCALSTACK_AUTH_TOKEN: "ls-token" });
  strictEqual(withToken.services.localstack!.environment.LOCALSTACK_AUTH_TOKEN, "ls-token");
  ok(/^localstack\/localstack:\d{4}\.\d+\.\d+$/.test(compose.services.localstack!.image!));
  const renamed = parseCompose(text, { STREAM_NAME: "payments" });
  for (const name of ["localstack", "processor", "producer", "emulators", "processor-emulators"]) {
    strictEqual(renamed.services[name]!.environment.STREAM_NAME, "payments", name);
  }
});

Deno.test("interpolate() and parseDuration() follow Compose", () => {
  const vars = { SET: "v", EMPTY: "" };
  strictEqual(
    interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${UNSET}|$SET $$X", vars),
    "v d  d |v $X",
  );
  strictEqual(interpolate("${UNSET:-${SET}}", vars), "v");
  throws(() => interpolate("${UNSET:?needed}", vars), /UNSET is required: needed/);
  strictEqual(parseDuration("1m30s"), 90);
  strictEqual(parseDuration("25s"), 25);
  throws(() => parseDuration("25"), SyntaxError);
});

// ---------------------------------------------------------------------------------------------
// .dockerignore
// ---------------------------------------------------------------------------------------------

Deno.test(".dockerignore keeps dependencies, outputs, VCS data and secrets out, and the sources in", () => {
  for (
    const path of [
      ".git/HEAD",
      "dist/processor",
      "sylvite/target/sylvite.jar",
      ".env",
      "a/.env.local",
    ]
  ) {
    ok(ignored(path), `${path} is left out`);
  }
  for (
    const path of [
      "deno.json",
      "deno.lock",
      "mod.ts",
      "processor.ts",
      "src/launcher/main.ts",
      "properties/kcl.properties",
      "sylvite/pom.xml",
      "sylvite/src/main/resources/logback.xml",
      "tools/compile.ts",
      "src/local/producer.ts",
      "src/local/emulators/package-lock.json",
    ]
  ) {
    ok(!ignored(path), `${path} is in the context`);
  }
  const matcher = dockerignoreMatcher("# comment\n/out\n**/*.tmp\nlogs\n!logs/keep.txt\n");
  ok(matcher("out/x") && matcher("a/b/c.tmp") && matcher("x.tmp") && matcher("logs/a.txt"));
  ok(!matcher("logs/keep.txt") && !matcher("src/out") && !matcher("outer"));
});

// ---------------------------------------------------------------------------------------------
// The producer
// ---------------------------------------------------------------------------------------------

Deno.test("producerConfig() reads the environment, with defaults", () => {
  deepStrictEqual(producerConfig({ KINESIS_ENDPOINT: "http://kinesis:4568" }), {
    endpoint: "http://kinesis:4568",
    stream: "orders",
    ratePerSecond: 10,
    count: 0,
    streamWaitMs: 120_000,
  });
  throws(() => producerConfig({}), /KINESIS_ENDPOINT/);
  throws(() => producerConfig({ KINESIS_ENDPOINT: "http://k", RECORDS_PER_SECOND: "0" }), /more/);
  throws(() => producerConfig({ KINESIS_ENDPOINT: "http://k", RECORD_COUNT: "1.5" }), /whole/);
  const { value, partitionKey } = sampleRecord(42, new Date(0));
  deepStrictEqual(value, {
    n: 42,
    id: "order-000042",
    customer: "customer-6",
    amount: 15.54,
    at: "1970-01-01T00:00:00.000Z",
  });
  strictEqual(partitionKey, "order-000042");
});

/** A minimal Kinesis endpoint: an ACTIVE stream, PutRecords into one shard, first puts failing. */
function fakeKinesis(failFirst = 0) {
  const puts: { Data: string; PartitionKey: string }[] = [];
  let failures = failFirst;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const target = request.headers.get("x-amz-target") ?? "";
      const body = await request.json();
      if (target.endsWith(".DescribeStreamSummary")) {
        return Response.json({ StreamDescriptionSummary: { StreamStatus: "ACTIVE" } });
      }
      if (target.endsWith(".PutRecords")) {
        if (failures-- > 0) return new Response("", { status: 500 });
        const records = body.Records as { Data: string; PartitionKey: string }[];
        const results = records.map(() => {
          puts.push(records[0]!);
          return { ShardId: "shardId-000000000000", SequenceNumber: String(puts.length) };
        });
        return Response.json({ FailedRecordCount: 0, Records: results });
      }
      return Response.json({ __type: "UnknownOperationException" }, { status: 400 });
    },
  );
  return { endpoint: `http://127.0.0.1:${server.addr.port}`, puts, server };
}

Deno.test("produce() puts count records at the rate, in order, and reports each batch", async () => {
  const kinesis = fakeKinesis();
  try {
    const seen: ProducedRecord[] = [];
    const started = performance.now();
    const summary = await produce({
      endpoint: kinesis.endpoint,
      stream: "orders",
      ratePerSecond: 100,
      count: 50,
      onPut: (records) => seen.push(...records),
      log: () => {},
    });
    const elapsed = performance.now() - started;
    strictEqual(summary.put, 50);
    deepStrictEqual(seen.map((r) => r.n), Array.from({ length: 50 }, (_, i) => i));
    strictEqual(seen.at(-1)!.sequenceNumber, "50");
    ok(elapsed > 350 && elapsed < 3_000, `50 records at 100/s took ${elapsed} ms`);
    strictEqual(kinesis.puts.length, 50);
  } finally {
    await kinesis.server.shutdown();
  }
});

Deno.test("produce() stops when aborted, retries failed requests, and never leaves a timer", async () => {
  const kinesis = fakeKinesis(1);
  try {
    const controller = new AbortController();
    const logs: string[] = [];
    const timer = setTimeout(() => controller.abort(), 1_600);
    const summary = await produce({
      endpoint: kinesis.endpoint,
      stream: "orders",
      ratePerSecond: 20,
      signal: controller.signal,
      log: (m) => logs.push(m),
    });
    clearTimeout(timer);
    strictEqual(summary.failures, 1);
    ok(summary.put > 0 && summary.put < 20, `put ${summary.put} in about 0.6 s after the retry`);
    ok(logs.some((m) => /put failed \(retrying in 1 s\)/.test(m)), logs.join("\n"));
    ok(logs.at(-1)!.startsWith(`stopped after ${summary.put} records`));
  } finally {
    await kinesis.server.shutdown();
  }
  await rejects(
    produce({ endpoint: "http://127.0.0.1:9", stream: "s", streamWaitMs: 0, log: () => {} }),
    /is not ACTIVE/,
  );
});

// ---------------------------------------------------------------------------------------------
// The emulator container's entry
// ---------------------------------------------------------------------------------------------

Deno.test("settingsFromEnv() has the defaults docker-compose.yml relies on, and checks values", () => {
  deepStrictEqual(settingsFromEnv({}), {
    stream: "orders",
    shards: 4,
    application: "orders-consumer",
    seedLeases: true,
    host: "0.0.0.0",
    kinesisPort: 4568,
    dynamoPort: 8000,
    readyFile: "/tmp/kclts-emulators.ready",
  });
  throws(() => settingsFromEnv({ SHARD_COUNT: "0" }), /SHARD_COUNT/);
  throws(() => settingsFromEnv({ KINESIS_PORT: "8000", DYNAMODB_PORT: "8001" }), /TLS port/);
  throws(() => settingsFromEnv({ SEED_LEASES: "yes" }), /SEED_LEASES/);
  const [kinesis, dynalite] = emulatorCommands(settingsFromEnv({}), "/x");
  strictEqual(kinesis!.env.KCLTS_EMULATOR_HOST, "0.0.0.0");
  deepStrictEqual(dynalite!.args.slice(1, 5), ["--host", "0.0.0.0", "--port", "8000"]);
});

Deno.test("the emulator container's entry listens on the host it is given, creates the stream and lease table, and stops on SIGTERM", async () => {
  await ensureEmulatorsInstalled();
  // The image's entrypoint and environment, run from the repository (the image's /app).
  const image = await readDockerfile("docker/emulators/Dockerfile");
  const final = image.stages.at(-1)!;
  strictEqual(lastInstruction(final, "WORKDIR")?.args, "/app");
  const [command, ...args] = instructionWords(lastInstruction(final, "ENTRYPOINT")!.args);
  strictEqual(command, "deno");
  ok(args.includes("--allow-write=/tmp"), "the ready file goes to /tmp");
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  const readyFile = `${dir}/ready`;
  // 127.0.0.2: a loopback address other than the tests' 127.0.0.1, to see the host is honoured.
  const host = "127.0.0.2";
  const kinesisPort = freePort();
  const dynamoPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: {
      ...Object.fromEntries(stageEnv(image, final)),
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
      EMULATOR_HOST: host,
      KINESIS_PORT: String(kinesisPort),
      DYNAMODB_PORT: String(dynamoPort),
      READY_FILE: readyFile,
      SHARD_COUNT: "2",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (log += chunk) }),
  );
  try {
    const deadline = Date.now() + 60_000;
    while (!exists(readyFile)) {
      ok(Date.now() < deadline, `not ready within 60 s:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const shards = await listShards(`http://${host}:${kinesisPort}`, "orders");
    strictEqual(shards.length, 2);
    const leases = await scanLeases(`http://${host}:${dynamoPort}`, "orders-consumer");
    deepStrictEqual(leases.map((l) => l.checkpoint), ["TRIM_HORIZON", "TRIM_HORIZON"]);
    await rejects(
      fetch(`http://127.0.0.1:${kinesisPort}/healthcheck`),
      "kinesis-mock does not listen on 127.0.0.1",
    );
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await stderr;
    await Deno.remove(dir, { recursive: true });
    strictEqual(status.code, 0, log);
  }
  ok(!exists(readyFile));
});
