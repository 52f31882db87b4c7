/**
 * The release workflow (.github/workflows/release.yml) agrees with the
 * repository: the tag it accepts is deno.json's version (its check script is
 * run here), it publishes to JSR with an OIDC token, and it pushes the
 * runtime image the README's own-image Dockerfile builds `FROM`, built from
 * docker/runtime/Dockerfile. Its syntax is actionlint's (tests/lint_test.ts).
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { parseDockerfile } from "./_docker.ts";
import { ROOT } from "./_util.ts";
import { readmeBlock } from "./_util.ts";
import {
  DENO_IMAGE as SCAFFOLD_DENO,
  RUNTIME_IMAGE as SCAFFOLD_RUNTIME,
} from "../src/scaffold/files.ts";

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { push: { tags: string[]; branches?: string[] } };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOW = ".github/workflows/release.yml";
const text = await Deno.readTextFile(`${ROOT}/${WORKFLOW}`);
const workflow = parseYaml(text) as Workflow;
const version: string = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).version;

function job(name: string): Job {
  const found = workflow.jobs[name];
  ok(found, `job ${name}`);
  return found;
}

function step(j: Job, action: string): Step {
  const found = j.steps.find((s) => s.uses?.startsWith(`${action}@`));
  ok(found, `a step using ${action}`);
  return found;
}

/** GitHub's filter pattern syntax (the part used here): `*`, `+`, `?`, `[...]`. */
function filterPattern(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") source += pattern[i + 1] === "*" ? (i++, ".*") : "[^/]*";
    else if (c === "[") {
      const end = pattern.indexOf("]", i);
      source += pattern.slice(i, end + 1);
      i = end;
    } else if (c === "+" || c === "?") source += c;
    else source += /[.^$(){}|\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${source}$`);
}

Deno.test("release.yml runs on version tags only, the tag of this version among them", () => {
  deepStrictEqual(Object.keys(workflow.on), ["push"]);
  strictEqual(workflow.on.push.branches, undefined);
  const patterns = workflow.on.push.tags.map(filterPattern);
  const matches = (tag: string) => patterns.some((p) => p.test(tag));
  ok(matches(`v${version}`), `v${version}`);
  ok(matches("v1.2.3") && matches("v1.2.3-rc.1") && matches("v10.20.30"));
  ok(!matches(version) && !matches("v1") && !matches("v1.2") && !matches("latest"));
});

Deno.test("release.yml's version check passes for the tag v<deno.json version> and fails for any other", async () => {
  const check = job("version").steps.find((s) => s.id === "version")!;
  strictEqual(check.env?.TAG, "${{ github.ref_name }}");
  const dir = await Deno.makeTempDir();
  try {
    const run = async (tag: string) => {
      const output = `${dir}/output-${tag}`;
      await Deno.writeTextFile(output, "");
      const result = await new Deno.Command("bash", {
        args: ["-e", "-c", check.run!],
        cwd: ROOT,
        env: { TAG: tag, GITHUB_OUTPUT: output },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const printed = new TextDecoder().decode(result.stdout);
      return { success: result.success, printed, output: await Deno.readTextFile(output) };
    };
    const good = await run(`v${version}`);
    ok(good.success, good.printed);
    strictEqual(good.output, `version=${version}\n`);
    for (const tag of [`v${version}.1`, "v99.0.0", version]) {
      const bad = await run(tag);
      ok(!bad.success, tag);
      ok(bad.printed.includes(`::error::the tag ${tag} does not match`), bad.printed);
      strictEqual(bad.output, "");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  for (const name of ["jsr", "image"]) strictEqual(job(name).needs, "version", name);
});

Deno.test("release.yml publishes to JSR with an OIDC token and the Deno version of the images", async () => {
  deepStrictEqual(workflow.permissions, {}, "no permission unless a job asks");
  const jsr = job("jsr");
  deepStrictEqual(jsr.permissions, { contents: "read", "id-token": "write" });
  ok(jsr.steps.some((s) => s.run?.trim() === "deno publish"));
  strictEqual(step(jsr, "denoland/setup-deno").with?.["deno-version"], "${{ env.DENO_VERSION }}");
  const dockerfile = parseDockerfile(await Deno.readTextFile(`${ROOT}/Dockerfile`));
  strictEqual(
    `denoland/deno:${workflow.env.DENO_VERSION}`,
    dockerfile.globalArgs.get("DENO_IMAGE"),
  );
  const ci = await Deno.readTextFile(`${ROOT}/.ci/run`);
  ok(ci.includes(`deno@${workflow.env.DENO_VERSION}`), ".ci/run installs the same Deno");
});

Deno.test("release.yml pushes the runtime image, built from docker/runtime/Dockerfile, as the image the README and init's projects build FROM", () => {
  const image = job("image");
  deepStrictEqual(image.permissions, { contents: "read", packages: "write" });
  const build = step(image, "docker/build-push-action").with!;
  strictEqual(build.context, ".");
  strictEqual(build.file, "docker/runtime/Dockerfile");
  strictEqual(String(build.push), "true");
  strictEqual(build.tags, "${{ env.IMAGE }}:${{ needs.version.outputs.version }}");
  deepStrictEqual(build.platforms!.split(","), ["linux/amd64", "linux/arm64"]);
  strictEqual(step(image, "docker/login-action").with!.registry, workflow.env.IMAGE!.split("/")[0]);
  const example = parseDockerfile(
    readmeBlock("### Your own image: `FROM` the runtime image", "dockerfile"),
  );
  strictEqual(example.stages.at(-1)!.from, `${workflow.env.IMAGE}:${version}`);
  // The projects init writes build FROM the same image, and compile with the same Deno.
  strictEqual(SCAFFOLD_RUNTIME, `${workflow.env.IMAGE}:${version}`);
  strictEqual(SCAFFOLD_DENO, `denoland/deno:${workflow.env.DENO_VERSION}`);
});

Deno.test("release.yml pins every action to a commit, with its version in a comment, and checks out without credentials", () => {
  const uses = [...text.matchAll(/^\s*-?\s*uses:\s*(\S+)(.*)$/gm)];
  ok(uses.length >= 6);
  for (const [, ref, comment] of uses) {
    ok(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(ref!), `${ref} is pinned to a commit SHA`);
    ok(/^\s*# v\d+\.\d+\.\d+$/.test(comment!), `${ref}: a "# vX.Y.Z" comment`);
  }
  for (const [name, j] of Object.entries(workflow.jobs)) {
    const checkout = step(j, "actions/checkout");
    strictEqual(String(checkout.with?.["persist-credentials"]), "false", name);
  }
});
