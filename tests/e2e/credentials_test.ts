/**
 * Credentials, with the real daemon jar: the SSO modules are in sylvite.jar,
 * `doctor` resolves credentials the way the daemon does and names their
 * source, and `launch` fails when the daemon gives up without them.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { ensureSylviteJar } from "../../src/local/jar.ts";
import { cacheDir, launcher as launcherIn, run } from "../_util.ts";

/** The template's launcher with Deno's cache kept, so that a test may change HOME. */
async function launcher(args: string[], env: Record<string, string>) {
  return launcherIn(args, {
    DENO_DIR: await cacheDir(),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    KCLTS_JAR: await ensureSylviteJar(),
    STREAM_NAME: "orders",
    APPLICATION_NAME: "orders-app",
    AWS_REGION: "us-east-1",
    // no instance metadata service here: do not wait for it
    AWS_EC2_METADATA_DISABLED: "true",
    ...env,
  });
}

/** An HTTP server on 127.0.0.1 that answers every request with `handler`. */
function serve(handler: (request: Request) => Response): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
}

/** The check lines of `doctor`'s output, by name. */
function checks(stdout: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of stdout.split("\n")) {
    const match = line.match(/^(OK|WARN|FAIL) +(\S+) +(.*)$/);
    if (match) map.set(match[2]!, [...(map.get(match[2]!) ?? []), `${match[1]} ${match[3]}`]);
  }
  return map;
}

async function jarEntry(jar: string, entry: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stderr } = await run("jar", { args: ["xf", jar, entry], cwd: dir });
    ok(code === 0, stderr);
    return await Deno.readTextFile(`${dir}/${entry}`).catch(() => "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sylvite.jar holds the AWS SDK sso and ssooidc modules, at the SDK version of the rest of the jar", async () => {
  const jar = await ensureSylviteJar();
  const { zipEntries } = await import("../../src/launcher/doctor.ts");
  const entries = new Set(await zipEntries(jar));
  for (
    const entry of [
      // loaded by name by the SDK's ProfileCredentialsProvider for sso_* profile settings
      "software/amazon/awssdk/services/sso/auth/SsoProfileCredentialsProviderFactory.class",
      "software/amazon/awssdk/services/sso/auth/SsoCredentialsProvider.class",
      // the token provider of an sso-session profile (`aws sso login` since AWS CLI 2.9)
      "software/amazon/awssdk/services/ssooidc/SsoOidcProfileTokenProviderFactory.class",
      "software/amazon/awssdk/services/ssooidc/SsoOidcTokenProvider.class",
    ]
  ) ok(entries.has(entry), `${entry} is in the jar`);
  const version = async (module: string) =>
    (await jarEntry(jar, `META-INF/maven/software.amazon.awssdk/${module}/pom.properties`))
      .match(/^version=(.*)$/m)?.[1];
  const sts = await version("sts");
  ok(sts, "the jar records the sts module's version");
  deepStrictEqual(
    {
      sso: await version("sso"),
      ssooidc: await version("ssooidc"),
      kinesis: await version("kinesis"),
    },
    { sso: sts, ssooidc: sts, kinesis: sts },
  );
});

Deno.test("doctor with properties/local.properties and no AWS_ACCESS_KEY_ID fails the credentials check and says what to set", async () => {
  await using server = serve(() => new Response("{}"));
  const endpoint = `http://127.0.0.1:${server.addr.port}`;
  const { code, stdout } = await launcher(
    ["doctor", "--config=properties/local.properties"],
    { KINESIS_ENDPOINT: endpoint, DYNAMODB_ENDPOINT: endpoint },
  );
  const found = checks(stdout);
  strictEqual(code, 1, stdout);
  ok(!stdout.includes("Everything the daemon needs is in place"), stdout);
  const credentials = found.get("credentials") ?? [];
  strictEqual(credentials.length, 1, stdout);
  ok(credentials[0]!.startsWith("FAIL kinesis, dynamodb, cloudwatch: "), stdout);
  ok(credentials[0]!.includes("AWS_ACCESS_KEY_ID"), stdout);
  ok(credentials[0]!.includes("AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"), stdout);
  // everything else is fine: the credentials are the one failure
  ok(found.get("kinesis")?.[0]?.startsWith("OK"), stdout);
  ok(found.get("dynamodb")?.[0]?.startsWith("OK"), stdout);
  ok(stdout.includes("1 check(s) failed."), stdout);
});

Deno.test("doctor names the credentials source (environment variables) and prints no secret", async () => {
  await using server = serve(() => new Response("{}"));
  const endpoint = `http://127.0.0.1:${server.addr.port}`;
  const { code, stdout, stderr } = await launcher(
    ["doctor", "--config=properties/local.properties"],
    {
      KINESIS_ENDPOINT: endpoint,
      DYNAMODB_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: "AKIDLOCALTESTKEY",
      AWS_SECRET_ACCESS_KEY: "local-secret-must-not-show",
    },
  );
  strictEqual(code, 0, stdout + stderr);
  const credentials = checks(stdout).get("credentials") ?? [];
  deepStrictEqual(credentials, [
    "OK kinesis, dynamodb, cloudwatch: environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [EnvironmentVariableCredentialsProvider]",
  ]);
  ok(!(stdout + stderr).includes("local-secret-must-not-show"));
  ok(!(stdout + stderr).includes("AKIDLOCALTESTKEY"));
});

Deno.test("doctor resolves an `aws sso login` profile through the SSO modules (the default chain of the template)", async () => {
  // A fake SSO portal (GetRoleCredentials) and an sso-session profile with a cached, valid token.
  const requests: string[] = [];
  await using portal = serve((request) => {
    const url = new URL(request.url);
    requests.push(`${url.pathname} ${request.headers.get("x-amz-sso_bearer_token")}`);
    return Response.json({
      roleCredentials: {
        accessKeyId: "ASIASSOTEST",
        secretAccessKey: "sso-secret-must-not-show",
        sessionToken: "sso-session-token",
        expiration: Date.now() + 3_600_000,
      },
    });
  });
  await using endpoints = serve(() => new Response("{}"));
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${home}/.aws/sso/cache`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.aws/config`,
      `[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Reader
region = us-east-1

[sso-session corp]
sso_region = us-east-1
sso_start_url = https://corp.awsapps.com/start
`,
    );
    // the token cache file is named after the SHA-1 of the session name
    const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode("corp"));
    const name = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    await Deno.writeTextFile(
      `${home}/.aws/sso/cache/${name}.json`,
      JSON.stringify({
        accessToken: "cached-sso-token",
        expiresAt: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z"),
        region: "us-east-1",
        startUrl: "https://corp.awsapps.com/start",
        clientId: "client",
        clientSecret: "client-secret",
        registrationExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        refreshToken: "refresh",
      }),
    );
    const endpoint = `http://127.0.0.1:${endpoints.addr.port}`;
    const { code, stdout, stderr } = await launcher(["doctor"], {
      HOME: home,
      AWS_PROFILE: "dev",
      AWS_ENDPOINT_URL_SSO: `http://127.0.0.1:${portal.addr.port}`,
      KINESIS_ENDPOINT: endpoint,
      DYNAMODB_ENDPOINT: endpoint,
    });
    const credentials = checks(stdout).get("credentials") ?? [];
    strictEqual(credentials.length, 1, stdout + stderr);
    ok(credentials[0]!.startsWith("OK kinesis, dynamodb, cloudwatch: "), stdout + stderr);
    ok(credentials[0]!.includes("(SSO) profile, from `aws sso login` (profile dev)"), stdout);
    strictEqual(code, 0, stdout + stderr);
    deepStrictEqual(requests, ["/federation/credentials cached-sso-token"]);
    ok(!(stdout + stderr).includes("sso-secret-must-not-show"));
    ok(!(stdout + stderr).includes("cached-sso-token"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("launch exits non-zero when the daemon stops by itself (no credentials with properties/local.properties)", async () => {
  // Nothing listens here: the daemon fails on the credentials before it connects anyway.
  const closed = "http://127.0.0.1:1";
  const { code, stderr } = await launcher(["launch", "--config=properties/local.properties"], {
    KINESIS_ENDPOINT: closed,
    DYNAMODB_ENDPOINT: closed,
  });
  ok(stderr.includes("Unable to load credentials"), stderr.slice(-2000));
  ok(
    stderr.includes("processor: the daemon stopped without being asked to (exit code 0)"),
    stderr.slice(-2000),
  );
  strictEqual(code, 1);
});
