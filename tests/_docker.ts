/**
 * Reads the container template as data: the Dockerfiles, `docker-compose.yml`
 * and `.dockerignore`, with just enough of Docker's and Compose's rules
 * (line continuations, `ARG`/`ENV` substitution, `${VAR:-default}`
 * interpolation, YAML merge keys, `.dockerignore` patterns) for the tests to
 * check that the template agrees with the repository, and to run the
 * processor with exactly the environment a container would get.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { ROOT } from "./_util.ts";

// ---------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------

/** One Dockerfile instruction, continuation lines joined. */
export interface DockerInstruction {
  /** The keyword, upper case: `FROM`, `RUN`, `COPY`, ... */
  readonly keyword: string;
  /** Everything after the keyword, trimmed. */
  readonly args: string;
  /** The 1-based line where the instruction starts. */
  readonly line: number;
}

/** One build stage: its `FROM` and the instructions after it. */
export interface DockerStage {
  /** The base image as written (ARG references not resolved). */
  readonly from: string;
  /** The stage name (`AS name`), if any. */
  readonly name?: string;
  /** The stage's 0-based index. */
  readonly index: number;
  /** The instructions after `FROM`, in order. */
  readonly instructions: DockerInstruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** `ARG` defaults declared before the first `FROM` (usable in `FROM`). */
  readonly globalArgs: Map<string, string>;
  /** The build stages, in order; the last one is the default target. */
  readonly stages: DockerStage[];
}

/**
 * Parses a Dockerfile: comments and blank lines are dropped, lines ending
 * with `\` are joined (comment lines inside a continuation are skipped, as
 * Docker does), instructions are grouped into stages.
 *
 * @param text The Dockerfile's text.
 * @returns The global `ARG`s and the stages.
 * @throws {SyntaxError} If an instruction comes before the first `FROM` (other than `ARG`).
 */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: DockerStage[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = lines[i]!.trim();
    if (logical === "" || logical.startsWith("#")) continue;
    while (logical.endsWith("\\") && i + 1 < lines.length) {
      logical = logical.slice(0, -1);
      let next = lines[++i]!;
      while (next.trim().startsWith("#") && i + 1 < lines.length) next = lines[++i]!;
      logical += " " + next.trim();
    }
    if (logical.endsWith("\\")) logical = logical.slice(0, -1);
    const match = /^(\S+)\s*([\s\S]*)$/.exec(logical)!;
    const instruction: DockerInstruction = {
      keyword: match[1]!.toUpperCase(),
      args: match[2]!.trim(),
      line: start,
    };
    if (instruction.keyword === "FROM") {
      const words = shellWords(instruction.args).filter((w) => !w.startsWith("--"));
      const stage: DockerStage = {
        from: words[0] ?? "",
        index: stages.length,
        instructions: [],
        ...(words[1]?.toUpperCase() === "AS" && words[2] ? { name: words[2] } : {}),
      };
      stages.push(stage);
    } else if (stages.length === 0) {
      if (instruction.keyword !== "ARG") {
        throw new SyntaxError(`line ${start}: ${instruction.keyword} before the first FROM`);
      }
      for (const [name, value] of parseArg(instruction.args)) globalArgs.set(name, value ?? "");
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/**
 * Splits text into words as a POSIX shell would for simple cases: white space
 * separates, single and double quotes group, a backslash escapes the next
 * character (outside single quotes).
 *
 * @param text The text.
 * @returns The words, quotes removed.
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) {
        word += text[++i];
      } else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The words of an instruction in exec (JSON array) form or shell form.
 *
 * @param args The instruction's arguments.
 * @returns The JSON array's strings, or the shell words.
 */
export function instructionWords(args: string): string[] {
  if (args.startsWith("[")) {
    const parsed: unknown = JSON.parse(args);
    if (Array.isArray(parsed) && parsed.every((w) => typeof w === "string")) return parsed;
    throw new SyntaxError(`not a JSON array of strings: ${args}`);
  }
  return shellWords(args);
}

function parseArg(args: string): [string, string | undefined][] {
  return shellWords(args).map((word) => {
    const at = word.indexOf("=");
    return at < 0 ? [word, undefined] : [word.slice(0, at), word.slice(at + 1)];
  });
}

/**
 * Parses the arguments of `ENV`: `KEY=value ...` pairs, or the legacy
 * `KEY value` form.
 *
 * @param args The instruction's arguments.
 * @returns The variables, in order.
 */
export function parseEnv(args: string): [string, string][] {
  const words = shellWords(args);
  if (words.length > 0 && !words[0]!.includes("=")) {
    const at = args.search(/\s/);
    return [[words[0]!, at < 0 ? "" : args.slice(at).trim()]];
  }
  return words.map((word) => {
    const at = word.indexOf("=");
    return [word.slice(0, at), word.slice(at + 1)];
  });
}

/**
 * Replaces `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}`
 * as Docker does in `FROM`, `ENV`, `COPY`, ... (not in `RUN`, which the shell
 * expands).
 *
 * @param text The text.
 * @param vars The variables in scope.
 * @returns The text with the references replaced (unknown names become empty).
 */
export function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_, braced: string | undefined, op: string | undefined, word: string | undefined, bare) => {
      const name = braced ?? bare;
      const value = vars.get(name);
      if (op === "-") return value ? value : word ?? "";
      if (op === "+") return value ? word ?? "" : "";
      return value ?? "";
    },
  );
}

/** A `COPY` or `ADD` instruction, parsed. */
export interface CopyInstruction {
  /** `--from`: a stage name or index, or an image. */
  readonly from?: string;
  /** `--chown`, `--chmod`, `--link`, ... as written (without `--from`). */
  readonly flags: Map<string, string>;
  /** The sources. */
  readonly sources: string[];
  /** The destination. */
  readonly destination: string;
  /** The instruction. */
  readonly instruction: DockerInstruction;
}

/**
 * Parses a `COPY` (or `ADD`) instruction's flags, sources and destination.
 *
 * @param instruction The instruction.
 * @param vars Variables for `$NAME` substitution.
 * @returns The parts.
 */
export function parseCopy(
  instruction: DockerInstruction,
  vars: ReadonlyMap<string, string> = new Map(),
): CopyInstruction {
  const words = instructionWords(instruction.args).map((w) => substitute(w, vars));
  const flags = new Map<string, string>();
  let from: string | undefined;
  while (words[0]?.startsWith("--")) {
    const flag = words.shift()!;
    const at = flag.indexOf("=");
    const name = at < 0 ? flag.slice(2) : flag.slice(2, at);
    const value = at < 0 ? "" : flag.slice(at + 1);
    if (name === "from") from = value;
    else flags.set(name, value);
  }
  const destination = words.pop() ?? "";
  return {
    ...(from === undefined ? {} : { from }),
    flags,
    sources: words,
    destination,
    instruction,
  };
}

/**
 * The variables in scope at the end of a stage: global `ARG` defaults the
 * stage re-declares, its own `ARG` defaults and its `ENV` values (later wins),
 * optionally overridden by build arguments.
 *
 * @param dockerfile The Dockerfile.
 * @param stage The stage.
 * @param buildArgs `--build-arg` values.
 * @returns The variables.
 */
export function stageVariables(
  dockerfile: Dockerfile,
  stage: DockerStage,
  buildArgs: Readonly<Record<string, string>> = {},
): Map<string, string> {
  const vars = new Map<string, string>();
  for (const instruction of stage.instructions) {
    if (instruction.keyword === "ARG") {
      for (const [name, fallback] of parseArg(instruction.args)) {
        const value = buildArgs[name] ?? fallback ?? dockerfile.globalArgs.get(name) ?? "";
        vars.set(name, substitute(value, vars));
      }
    } else if (instruction.keyword === "ENV") {
      for (const [name, value] of parseEnv(instruction.args)) {
        vars.set(name, substitute(value, vars));
      }
    }
  }
  return vars;
}

/**
 * The `ENV` variables a stage sets (what a container of that stage starts
 * with, besides its base image's), `ARG` references resolved.
 *
 * @param dockerfile The Dockerfile.
 * @param stage The stage.
 * @returns The variables, in order.
 */
export function stageEnv(dockerfile: Dockerfile, stage: DockerStage): Map<string, string> {
  const vars = new Map<string, string>();
  const env = new Map<string, string>();
  for (const instruction of stage.instructions) {
    if (instruction.keyword === "ARG") {
      for (const [name, fallback] of parseArg(instruction.args)) {
        vars.set(name, fallback ?? dockerfile.globalArgs.get(name) ?? "");
      }
    } else if (instruction.keyword === "ENV") {
      for (const [name, raw] of parseEnv(instruction.args)) {
        const value = substitute(raw, vars);
        vars.set(name, value);
        env.set(name, value);
      }
    }
  }
  return env;
}

/**
 * A stage's base image with global `ARG` defaults resolved.
 *
 * @param dockerfile The Dockerfile.
 * @param stage The stage.
 * @returns The image reference, e.g. `eclipse-temurin:17.0.20_8-jre-noble`.
 */
export function baseImage(dockerfile: Dockerfile, stage: DockerStage): string {
  return substitute(stage.from, dockerfile.globalArgs);
}

/**
 * The last instruction of a kind in a stage (`ENTRYPOINT`, `CMD`, `USER`, ...).
 *
 * @param stage The stage.
 * @param keyword The keyword, upper case.
 * @returns The instruction, if any.
 */
export function lastInstruction(
  stage: DockerStage,
  keyword: string,
): DockerInstruction | undefined {
  return stage.instructions.findLast((instruction) => instruction.keyword === keyword);
}

/**
 * What an image built from a stage is made of: a stage that builds `FROM`
 * another stage of the file inherits that stage's configuration (`ENV`,
 * `USER`, `ENTRYPOINT`, ...), so the result is one stage whose instructions
 * are its ancestors' followed by its own, and whose `from` is the external
 * base image.
 *
 * @param dockerfile The Dockerfile.
 * @param stage The stage (default: the last one, what `docker build` makes).
 * @returns The combined stage (the stage itself when it builds on an image).
 */
export function imageStage(
  dockerfile: Dockerfile,
  stage: DockerStage = dockerfile.stages.at(-1)!,
): DockerStage {
  const parent = dockerfile.stages.find((s) =>
    s.index < stage.index && s.name !== undefined && s.name === baseImage(dockerfile, stage)
  );
  if (parent === undefined) return stage;
  const base = imageStage(dockerfile, parent);
  return { ...stage, from: base.from, instructions: [...base.instructions, ...stage.instructions] };
}

/**
 * Reads and parses a Dockerfile of this repository.
 *
 * @param path The path, relative to the repository's root.
 * @returns The parsed file.
 */
export async function readDockerfile(path = "Dockerfile"): Promise<Dockerfile> {
  return parseDockerfile(await Deno.readTextFile(`${ROOT}/${path}`));
}

// ---------------------------------------------------------------------------------------------
// .dockerignore
// ---------------------------------------------------------------------------------------------

function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          source += "(?:.*/)?";
        } else {
          source += ".*";
        }
      } else {
        source += "[^/]*";
      }
    } else if (c === "?") {
      source += "[^/]";
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) {
        source += "\\[";
      } else {
        source += "[" + glob.slice(i + 1, end).replace(/^!/, "^").replaceAll("\\", "\\\\") + "]";
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) {
      source += "\\" + glob[++i];
    } else {
      source += /[.+^${}()|\\]/.test(c) ? "\\" + c : c;
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * Builds a matcher from `.dockerignore` text, following Docker's rules:
 * one pattern per line, `#` comments, a leading `/` or `./` is ignored, `*`
 * and `?` stay within a path segment, `**` spans segments, `!` re-includes,
 * the last matching line wins, and a path is excluded when it or one of its
 * parent directories matches.
 *
 * @param text The `.dockerignore` text.
 * @returns A function telling whether a context-relative path is left out of the build context.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text.split(/\r?\n/).map((line) => line.trim()).filter((line) =>
    line !== "" && !line.startsWith("#")
  ).map((line) => {
    const negated = line.startsWith("!");
    const pattern = (negated ? line.slice(1).trim() : line).replace(/^(\.\/|\/)+/, "")
      .replace(/\/+$/, "");
    return { negated, regexp: globToRegExp(pattern) };
  });
  return (path: string) => {
    const clean = path.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
    const segments = clean.split("/");
    const candidates = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((candidate) => rule.regexp.test(candidate))) excluded = !rule.negated;
    }
    return excluded;
  };
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml
// ---------------------------------------------------------------------------------------------

/**
 * Interpolates Compose variables in a string: `${NAME}`, `$NAME`,
 * `${NAME:-default}` (default if unset or empty), `${NAME-default}` (default
 * if unset), `${NAME:?message}` / `${NAME?message}` (error if unset) and `$$`
 * (a literal `$`).
 *
 * @param text The text.
 * @param vars The variables (the shell environment and `.env` for Compose).
 * @returns The interpolated text.
 * @throws {Error} For `${NAME:?message}` when the variable is missing.
 */
export function interpolate(
  text: string,
  vars: Readonly<Record<string, string | undefined>>,
): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^}$]|\$\{[^}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, braced: string | undefined, op: string | undefined, word: string | undefined, bare) => {
      if (all === "$$") return "$";
      const name = braced ?? bare;
      const value = vars[name];
      const missing = op?.startsWith(":")
        ? value === undefined || value === ""
        : value === undefined;
      if (op === ":-" || op === "-") return missing ? interpolate(word ?? "", vars) : value!;
      if (op === ":?" || op === "?") {
        if (missing) throw new Error(`${name} is required: ${word}`);
        return value!;
      }
      return value ?? "";
    },
  );
}

function interpolateDeep(
  value: unknown,
  vars: Readonly<Record<string, string | undefined>>,
): unknown {
  if (typeof value === "string") return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, vars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, vars)]),
    );
  }
  return value;
}

/** A `depends_on` entry. */
export interface ComposeDependency {
  /** `service_started`, `service_healthy` or `service_completed_successfully`. */
  readonly condition: string;
}

/** A service's healthcheck. */
export interface ComposeHealthcheck {
  /** The test command (`["CMD", ...]`, `["CMD-SHELL", "..."]` or a string). */
  readonly test: string[];
  /** Durations as written (`5s`). */
  readonly interval?: string;
  /** Durations as written. */
  readonly timeout?: string;
  /** Attempts before unhealthy. */
  readonly retries?: number;
  /** Durations as written. */
  readonly startPeriod?: string;
}

/** A Compose service, normalised (lists and short forms turned into maps). */
export interface ComposeService {
  /** The service's name. */
  readonly name: string;
  /** `image`. */
  readonly image?: string;
  /** `build`, short form expanded. */
  readonly build?: { context: string; dockerfile: string; args: Record<string, string> };
  /** `entrypoint`, as words. */
  readonly entrypoint?: string[];
  /** `command`, as words. */
  readonly command?: string[];
  /** `environment`; entries without a value (taken from the host) are left out. */
  readonly environment: Record<string, string>;
  /** `depends_on`, short form expanded. */
  readonly dependsOn: Record<string, ComposeDependency>;
  /** `profiles`. */
  readonly profiles: string[];
  /** `healthcheck`. */
  readonly healthcheck?: ComposeHealthcheck;
  /** `stop_grace_period` in seconds (Docker's default: 10). */
  readonly stopGraceSeconds: number;
  /** `volumes`, short syntax strings. */
  readonly volumes: string[];
  /** `ports`, short syntax strings. */
  readonly ports: string[];
  /** The service as parsed (merge keys resolved, variables interpolated). */
  readonly raw: Record<string, unknown>;
}

/** A Compose file, normalised. */
export interface ComposeProject {
  /** The services by name. */
  readonly services: Record<string, ComposeService>;
}

/**
 * Parses a Compose duration (`1m30s`, `25s`, `500ms`).
 *
 * @param text The duration.
 * @returns Seconds.
 * @throws {SyntaxError} If it is not a duration.
 */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(h|m|s|ms|us))+$/.test(trimmed)) {
    throw new SyntaxError(`not a duration: "${text}"`);
  }
  let seconds = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)) {
    seconds += Number(match[1]) * units[match[2]!]!;
  }
  return seconds;
}

function words(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return shellWords(value);
  if (Array.isArray(value)) return value.map(String);
  throw new TypeError(`expected a string or a list: ${JSON.stringify(value)}`);
}

function scalar(value: unknown): string {
  return typeof value === "string" ? value : String(value);
}

function normaliseService(name: string, raw: Record<string, unknown>): ComposeService {
  const environment: Record<string, string> = {};
  const env = raw.environment;
  if (Array.isArray(env)) {
    for (const entry of env.map(String)) {
      const at = entry.indexOf("=");
      if (at > 0) environment[entry.slice(0, at)] = entry.slice(at + 1);
    }
  } else if (env !== null && typeof env === "object") {
    for (const [key, value] of Object.entries(env)) {
      if (value !== null && value !== undefined) environment[key] = scalar(value);
    }
  }
  const dependsOn: Record<string, ComposeDependency> = {};
  const depends = raw.depends_on;
  if (Array.isArray(depends)) {
    for (const dependency of depends) {
      dependsOn[String(dependency)] = { condition: "service_started" };
    }
  } else if (depends !== null && typeof depends === "object") {
    for (const [dependency, value] of Object.entries(depends)) {
      const condition = (value as { condition?: unknown } | null)?.condition;
      dependsOn[dependency] = {
        condition: typeof condition === "string" ? condition : "service_started",
      };
    }
  }
  let build: ComposeService["build"];
  if (typeof raw.build === "string") {
    build = { context: raw.build, dockerfile: "Dockerfile", args: {} };
  } else if (raw.build !== null && typeof raw.build === "object") {
    const b = raw.build as Record<string, unknown>;
    const args: Record<string, string> = {};
    if (Array.isArray(b.args)) {
      for (const entry of b.args.map(String)) {
        const at = entry.indexOf("=");
        if (at > 0) args[entry.slice(0, at)] = entry.slice(at + 1);
      }
    } else if (b.args !== null && typeof b.args === "object") {
      for (const [key, value] of Object.entries(b.args as Record<string, unknown>)) {
        if (value !== null && value !== undefined) args[key] = scalar(value);
      }
    }
    build = {
      context: typeof b.context === "string" ? b.context : ".",
      dockerfile: typeof b.dockerfile === "string" ? b.dockerfile : "Dockerfile",
      args,
    };
  }
  const health = raw.healthcheck as Record<string, unknown> | undefined;
  const healthcheck: ComposeHealthcheck | undefined = health
    ? {
      test: typeof health.test === "string" ? ["CMD-SHELL", health.test] : words(health.test) ?? [],
      ...(typeof health.interval === "string" ? { interval: health.interval } : {}),
      ...(typeof health.timeout === "string" ? { timeout: health.timeout } : {}),
      ...(typeof health.retries === "number" ? { retries: health.retries } : {}),
      ...(typeof health.start_period === "string" ? { startPeriod: health.start_period } : {}),
    }
    : undefined;
  const entrypoint = words(raw.entrypoint);
  const command = words(raw.command);
  return {
    name,
    ...(typeof raw.image === "string" ? { image: raw.image } : {}),
    ...(build ? { build } : {}),
    ...(entrypoint ? { entrypoint } : {}),
    ...(command ? { command } : {}),
    environment,
    dependsOn,
    profiles: Array.isArray(raw.profiles) ? raw.profiles.map(String) : [],
    ...(healthcheck ? { healthcheck } : {}),
    stopGraceSeconds: typeof raw.stop_grace_period === "string"
      ? parseDuration(raw.stop_grace_period)
      : 10,
    volumes: Array.isArray(raw.volumes) ? raw.volumes.map(String) : [],
    ports: Array.isArray(raw.ports) ? raw.ports.map(String) : [],
    raw,
  };
}

/**
 * Parses Compose YAML: merge keys (`<<: *anchor`) resolved, variables
 * interpolated, services normalised.
 *
 * @param text The YAML text.
 * @param vars The variables Compose would interpolate from (the shell environment and `.env`);
 * by default none, so every `${NAME:-default}` takes its default.
 * @returns The project.
 */
export function parseCompose(
  text: string,
  vars: Readonly<Record<string, string | undefined>> = {},
): ComposeProject {
  const document = parseYaml(text, { merge: true }) as Record<string, unknown> | null;
  const rawServices = (document?.services ?? {}) as Record<string, unknown>;
  const services: Record<string, ComposeService> = {};
  for (const [name, value] of Object.entries(rawServices)) {
    const raw = interpolateDeep(value ?? {}, vars) as Record<string, unknown>;
    services[name] = normaliseService(name, raw);
  }
  return { services };
}

/**
 * Reads and parses this repository's `docker-compose.yml`.
 *
 * @param vars Interpolation variables (none by default: defaults apply).
 * @returns The project.
 */
export async function readCompose(
  vars: Readonly<Record<string, string | undefined>> = {},
): Promise<ComposeProject> {
  return parseCompose(await Deno.readTextFile(`${ROOT}/docker-compose.yml`), vars);
}
