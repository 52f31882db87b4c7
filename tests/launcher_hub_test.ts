import { ok, strictEqual } from "node:assert/strict";
import { parseProperties } from "../src/launcher/properties.ts";
import { hubFromEnv } from "../src/launcher/hub.ts";
import { launcher } from "./_util.ts";

const GOOD = { STREAM_NAME: "orders", APPLICATION_NAME: "orders-app", AWS_REGION: "eu-west-1" };

Deno.test("properties --hub: the daemon's executableName is the socat relay to a private socket", async () => {
  const tmp = await Deno.makeTempDir();
  const cases: [string[], Record<string, string>][] = [
    [["properties", "--hub"], {}],
    [["properties"], { KCLTS_HUB: "1" }],
  ];
  for (const [args, env] of cases) {
    const { code, stdout, stderr } = await launcher(args, {
      ...GOOD,
      ...env,
      TMPDIR: tmp,
    });
    strictEqual(code, 0, stderr);
    const executable = new Map(parseProperties(stdout).map((e) => [e.key, e.value])).get(
      "executableName",
    ) ?? "";
    const match = /^\/\S*\/setsid -w \/\S*\/socat -b 131072 STDIO UNIX-CONNECT:(\S+)\/hub\.sock$/
      .exec(executable);
    ok(match, executable);
    ok(match[1]!.startsWith(`${tmp}/kclts-hub-`), executable);
  }
  const left = [...Deno.readDirSync(tmp)];
  strictEqual(left.length, 0, "the private directory is removed when nothing was launched");
  await Deno.remove(tmp);
});

Deno.test("launch --hub without socat on the PATH: a clear error, nothing started, exit 2", async () => {
  const { code, stderr } = await launcher(["launch", "--hub"], { ...GOOD, PATH: "/nonexistent" });
  strictEqual(code, 2);
  ok(stderr.includes("hub mode needs socat"), stderr);
  ok(stderr.includes("apt-get install socat"), stderr);
});

Deno.test("KCLTS_HUB: 1/true/yes/on or 0/false/no/off/empty; anything else is an error", async () => {
  strictEqual(hubFromEnv("1"), true);
  strictEqual(hubFromEnv(" TRUE "), true);
  strictEqual(hubFromEnv("0"), false);
  strictEqual(hubFromEnv(""), false);
  strictEqual(hubFromEnv(undefined), false);
  const { code, stderr } = await launcher(["launch"], { ...GOOD, KCLTS_HUB: "maybe" });
  strictEqual(code, 2);
  ok(stderr.includes('KCLTS_HUB must be 1 or 0 (true/false): got "maybe"'), stderr);
});
