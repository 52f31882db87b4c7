import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { countMavenDownload, type MavenProgress } from "../src/local/jar.ts";
import { cacheDir, ROOT, run } from "./_util.ts";
import { compileArguments } from "../src/runtime/permissions.ts";

/** Runs `deno task compile` where denort cannot be downloaded; the directory's entries after. */
async function compileOffline(args: string[], env: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir();
  try {
    // A DENO_DIR with everything of ours but the cached downloads (dl/, where denort is kept) and
    // an unreachable proxy: the download of denort fails even on a machine with network.
    const denoDir = await cacheDir();
    await Deno.mkdir(`${dir}/deno-dir`);
    for await (const item of Deno.readDir(denoDir)) {
      if (item.name !== "dl") {
        await Deno.symlink(`${denoDir}/${item.name}`, `${dir}/deno-dir/${item.name}`);
      }
    }
    const entry = `${dir}/entry.ts`;
    await Deno.writeTextFile(entry, "export {};\n");
    const output = `${dir}/dist/bin/processor`;
    const { code, stderr } = await run(Deno.execPath(), {
      args: ["task", "compile", ...args, entry],
      cwd: ROOT,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        DENO_DIR: `${dir}/deno-dir`,
        HTTPS_PROXY: "http://127.0.0.1:1",
        HTTP_PROXY: "http://127.0.0.1:1",
        NO_COLOR: "1",
        DENO_NO_UPDATE_CHECK: "1",
        OUTPUT: output,
        ...env,
      },
      clearEnv: true,
    });
    const left = [];
    for await (const item of Deno.readDir(dir)) left.push(item.name);
    // The command compile.ts runs, as it prints it first: "deno compile <flags> ... <entry>".
    const command = stderr.split("\n").find((line) => line.startsWith("deno compile "));
    return { code, stderr, left: left.sort(), command: command?.split(" ") ?? [], entry, output };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deno task compile without network explains the denort download and leaves no empty directory", async () => {
  const { code, stderr, left, command, entry, output } = await compileOffline([]);
  ok(code !== 0, stderr);
  ok(stderr.includes("deno compile could not download denort"), stderr);
  ok(
    /https:\/\/dl\.deno\.land\/release\/v[\d.]+\/denort-[\w-]+\.zip/.test(stderr),
    "names what it downloads",
  );
  ok(stderr.includes("DENORT_BIN"), stderr);
  ok(stderr.includes("deno task processor launch"), stderr);
  deepStrictEqual(left, ["deno-dir", "entry.ts"], "dist/ and dist/bin/ were removed");
  deepStrictEqual(command, ["deno", ...compileArguments(entry, output)]);
  ok(command.includes("--v8-flags=--max-semi-space-size=2,--heap-growing-percent=10"));
});

Deno.test("deno task compile --hub (or KCLTS_HUB=1) bakes the hub's V8 flags in; a bad KCLTS_HUB is an error", async () => {
  // KCLTS_HUB takes the launcher's values (hubFromEnv), "yes" as well as "1".
  for (
    const [args, env] of [[["--hub"], {}], [[], { KCLTS_HUB: "1" }], [[], {
      KCLTS_HUB: "yes",
    }]] as const
  ) {
    const { code, stderr, command, entry, output } = await compileOffline([...args], env);
    ok(code !== 0, "no denort here");
    deepStrictEqual(command, ["deno", ...compileArguments(entry, output, "hub")], stderr);
    ok(command.includes("--v8-flags=--max-semi-space-size=16,--heap-growing-percent=10"));
  }
  const bad = await compileOffline([], { KCLTS_HUB: "maybe" });
  strictEqual(bad.code, 2);
  ok(bad.stderr.includes('KCLTS_HUB must be 1 or 0 (true/false): got "maybe"'), bad.stderr);
  deepStrictEqual(bad.command, [], "nothing compiled");
});

Deno.test("Maven's download lines count as progress for the jar build", () => {
  const progress: MavenProgress = { files: 0, bytes: 0 };
  const lines = [
    "[INFO] Downloading from central: https://repo.maven.apache.org/maven2/io/airlift/aircompressor/0.27/aircompressor-0.27.pom",
    "[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/io/airlift/aircompressor/0.27/aircompressor-0.27.pom (5.8 kB at 719 kB/s)",
    "[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/io/airlift/aircompressor/0.27/aircompressor-0.27.jar (255 kB at 2.1 MB/s)",
    "[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/software/amazon/awssdk/kinesis/2.33.0/kinesis-2.33.0.jar (1.2 MB at 3.0 MB/s)",
    "[INFO] Downloaded from mirror: https://example.test/x.pom (12 B at 1 kB/s)",
    "[WARNING] maven-shade-plugin has detected that some class files are present in two or more JARs.",
  ];
  deepStrictEqual(lines.map((line) => countMavenDownload(progress, line)), [
    false,
    true,
    true,
    true,
    true,
    false,
  ]);
  strictEqual(progress.files, 4);
  strictEqual(Math.round(progress.bytes), 5_800 + 255_000 + 1_200_000 + 12);
});
