import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { findJar, jarMissingHelp, templateCandidates } from "../src/launcher/paths.ts";
import { VERSION } from "../src/version.ts";
import { PERMISSION_FLAGS } from "../src/runtime/permissions.ts";
import { cacheDir, ROOT, run } from "./_util.ts";

Deno.test("findJar() looks at each place once: next to the program, the current directory, the kclts checkout, the cache", () => {
  const { searched } = findJar({ HOME: "/home/u" });
  strictEqual(new Set(searched).size, searched.length, searched.join(", "));
  ok(searched.includes(`${ROOT}/sylvite/target/sylvite.jar`), "the checkout's Maven build");
  strictEqual(searched.at(-1), `/home/u/.cache/kclts/${VERSION}/sylvite.jar`);
  strictEqual(findJar({ KCLTS_CACHE_DIR: "/c" }).searched.at(-1), "/c/sylvite.jar");
  strictEqual(findJar({ XDG_CACHE_HOME: "/x" }).searched.at(-1), `/x/kclts/${VERSION}/sylvite.jar`);
  deepStrictEqual(findJar({ KCLTS_JAR: "/nonexistent/j.jar" }), {
    path: undefined,
    searched: ["/nonexistent/j.jar"],
  });
  strictEqual(new Set(templateCandidates()).size, templateCandidates().length);
});

Deno.test("the missing-jar message names the command that builds it, not a pom the user does not have", () => {
  const help = jarMissingHelp(["/a/sylvite.jar"]);
  ok(help.includes(`"deno run -A ${ROOT}/local.ts jar"`), help);
  ok(!help.includes("sylvite/pom.xml"), help);
});

Deno.test("launch outside a clone: no properties template is an error that says where it looked, once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kclts-outside-" });
  try {
    await Deno.writeTextFile(
      `${dir}/processor.ts`,
      `import { start } from "${ROOT}/mod.ts";\nawait start({ processRecords() {} });\n`,
    );
    const { code, stderr } = await run(Deno.execPath(), {
      args: ["run", ...PERMISSION_FLAGS, `${dir}/processor.ts`, "launch"],
      cwd: dir,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: dir,
        DENO_DIR: await cacheDir(),
        STREAM_NAME: "orders",
        AWS_REGION: "eu-west-1",
        KCLTS_JAR: `${ROOT}/deno.json`,
      },
    });
    strictEqual(code, 2, stderr);
    ok(
      stderr.includes(`no properties template (looked at ${dir}/properties/kcl.properties):`),
      stderr,
    );
    ok(stderr.includes("KCLTS_PROPERTIES"), stderr);
    ok(!stderr.includes("starting the KCL daemon"), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor's jar check gives the same advice as launch", async () => {
  const { checkJar } = await import("../src/launcher/doctor.ts");
  const result = await checkJar(undefined, ["/a/sylvite.jar", "/b/sylvite.jar"]);
  strictEqual(result.status, "fail");
  strictEqual(result.detail, jarMissingHelp(["/a/sylvite.jar", "/b/sylvite.jar"]));
});
