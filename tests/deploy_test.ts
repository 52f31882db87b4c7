/**
 * The deployment examples under deploy/ are valid and agree with the image.
 *
 * - Schemas: every Kubernetes manifest passes `kubernetes-validate --strict`
 *   (PyPI; the Kubernetes OpenAPI schemas it ships), the ECS task definition
 *   passes botocore's ParamValidator for ECS RegisterTaskDefinition plus the
 *   model's enums (tools/aws_model_check.py), and every action of
 *   deploy/iam-policy.json is an operation of botocore's service models.
 * - Agreement with the image (read from the Dockerfile, as the compose tests
 *   do): no entrypoint override, the image's user, only variables kclts reads,
 *   a configuration the launcher accepts, stop timeouts above
 *   KCLTS_STOP_TIMEOUT_SECONDS, probes and health check on the image's
 *   /healthz, memory sized for KCL_MAX_LEASES_FOR_WORKER.
 *
 * What only a cluster or an AWS account would show (the pods start, IRSA and
 * the task role work, the JVM fits the limit on a real stream) is not run here.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import {
  imageStage,
  instructionWords,
  lastInstruction,
  readDockerfile,
  stageEnv,
} from "./_docker.ts";
import { resolveConfig } from "../src/launcher/config.ts";
import { metricsConfigFromEnv } from "../src/metrics/config.ts";
import { healthUrl } from "../src/metrics/health_command.ts";
import { TEMPLATE_PATH } from "../src/launcher/paths.ts";
import { accepted, BINARY } from "./_container.ts";
import { findTool, ignoreWithout, runTool } from "./_tools.ts";
import { ROOT } from "./_util.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const K8S_DIR = "deploy/kubernetes";
const TASK_DEFINITION = "deploy/ecs/task-definition.json";
const IAM_POLICY = "deploy/iam-policy.json";

const kubernetesValidate = findTool("kubernetes-validate");
const python = findTool("python3");
const haveBotocore = python !== undefined &&
  new Deno.Command(python, { args: ["-c", "import botocore"], stdout: "null", stderr: "null" })
    .outputSync().success;

const manifests: Json[] = [...Deno.readDirSync(`${ROOT}/${K8S_DIR}`)]
  .filter((e) => e.name.endsWith(".yaml")).sort((a, b) => a.name.localeCompare(b.name))
  .flatMap((e) =>
    parseAllDocuments(Deno.readTextFileSync(`${ROOT}/${K8S_DIR}/${e.name}`)).map((d) => d.toJS())
  );
const taskDefinition: Json = JSON.parse(Deno.readTextFileSync(`${ROOT}/${TASK_DEFINITION}`));
const policy: Json = JSON.parse(Deno.readTextFileSync(`${ROOT}/${IAM_POLICY}`));

const image = imageStage(await readDockerfile());
const dockerfile = await readDockerfile();
const imageEnv = Object.fromEntries(stageEnv(dockerfile, image));
const imageUser = lastInstruction(image, "USER")!.args;
const imageEntrypoint = instructionWords(lastInstruction(image, "ENTRYPOINT")!.args);
const imageCmd = instructionWords(lastInstruction(image, "CMD")!.args);

function manifest(kind: string): Json {
  const found = manifests.filter((m) => m.kind === kind);
  strictEqual(found.length, 1, `one ${kind} in ${K8S_DIR}`);
  return found[0];
}

const deployment = manifest("Deployment");
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const ecsContainer = taskDefinition.containerDefinitions[0];

/** A Kubernetes env list as a record; `fieldRef` values get a sample pod name. */
function kubernetesEnv(list: Json[]): Record<string, string> {
  return Object.fromEntries(list.map((e) => {
    if (e.value !== undefined) return [e.name, String(e.value)];
    strictEqual(e.valueFrom?.fieldRef?.fieldPath, "metadata.name", `${e.name}: the pod's name`);
    return [e.name, "orders-consumer-7d9f8b6c5-x2x4q"];
  }));
}

const k8sEnv = kubernetesEnv(container.env);
const ecsEnv: Record<string, string> = Object.fromEntries(
  ecsContainer.environment.map((e: Json) => [e.name, e.value]),
);

/** The launcher's configuration in a container with this environment on top of the image's. */
function configFor(env: Record<string, string>, where: string) {
  for (const name of Object.keys(env)) ok(accepted(name), `${where}: kclts reads ${name}`);
  const config = resolveConfig({
    files: [{ path: TEMPLATE_PATH, text: Deno.readTextFileSync(`${ROOT}/${TEMPLATE_PATH}`) }],
    env: { ...imageEnv, ...env },
    overrides: [],
    executableName: BINARY,
    hostname: "ip-10-0-1-23",
  });
  deepStrictEqual(config.errors, [], where);
  deepStrictEqual(config.warnings, [], where);
  return config.properties;
}

/** Kubernetes quantities in MiB (Mi, Gi only: what the examples use). */
function mebibytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  ok(match, `a memory quantity in Mi or Gi: ${quantity}`);
  return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
}

/**
 * The memory a worker needs for its leases, from the figures bench/worker_memory.ts measured (8
 * shards; bench/README.md for a shard's peak under 500-record batches): the JVM, the launcher, the
 * binary pages the shard processes share, and each shard process at its peak.
 */
function neededMebibytes(maxLeases: number): number {
  const jvm = 233, launcher = 14, sharedBinary = 35, perShardPeak = 35;
  return jvm + launcher + sharedBinary + maxLeases * perShardPeak;
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

Deno.test({
  name: "kubernetes-validate --strict accepts every manifest of deploy/kubernetes",
  ignore: ignoreWithout("tests/deploy_test.ts", {
    "kubernetes-validate": kubernetesValidate !== undefined,
  }),
  fn: async () => {
    // The validator is live: an unknown field and a wrong type fail.
    const bad = await runTool(
      kubernetesValidate!,
      ["--strict", "-"],
      [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: {name: x}",
        "spec: {selector: {}, template: {spec: {containers: [{name: a, imag: b}]}}}",
      ].join("\n"),
    );
    ok(!bad.success && /'imag' was unexpected/.test(bad.output), bad.output);
    const files = [...Deno.readDirSync(`${ROOT}/${K8S_DIR}`)].map((e) => `${K8S_DIR}/${e.name}`);
    const result = await runTool(kubernetesValidate!, ["--strict", ...files.sort()]);
    ok(result.success, result.output);
    for (const kind of ["Deployment", "ServiceAccount"]) {
      ok(new RegExp(`passed for resource ${kind.toLowerCase()}/`).test(result.output), kind);
    }
  },
});

async function awsModelCheck(check: string, file: string): Promise<Json> {
  const result = await runTool(python!, ["tools/aws_model_check.py", check, file]);
  try {
    return { success: result.success, ...JSON.parse(result.output) };
  } catch {
    throw new Error(`tools/aws_model_check.py ${check} ${file}:\n${result.output}`);
  }
}

Deno.test({
  name: "the ECS task definition is a valid RegisterTaskDefinition input in botocore's ECS model",
  ignore: ignoreWithout("tests/deploy_test.ts", { "python3 with botocore": haveBotocore }),
  fn: async () => {
    const result = await awsModelCheck("ecs-task-definition", TASK_DEFINITION);
    deepStrictEqual(result.errors, []);
    ok(result.success);
    // The check is live: a misspelt member, a wrong type and a value outside an enum fail.
    const dir = await Deno.makeTempDir();
    try {
      const bad = structuredClone(taskDefinition);
      bad.containerDefinitions[0].stopTimeot = 30;
      bad.containerDefinitions[0].memory = "768";
      bad.networkMode = "vpc";
      await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(bad));
      const failed = await awsModelCheck("ecs-task-definition", `${dir}/bad.json`);
      ok(!failed.success);
      strictEqual(failed.errors.length, 3, failed.errors.join("\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "every action of deploy/iam-policy.json is an operation of botocore's service models",
  ignore: ignoreWithout("tests/deploy_test.ts", { "python3 with botocore": haveBotocore }),
  fn: async () => {
    const result = await awsModelCheck("iam-actions", IAM_POLICY);
    deepStrictEqual(result.errors, []);
    ok(Object.keys(result.actions).length >= 15);
    const dir = await Deno.makeTempDir();
    try {
      const bad = { Statement: [{ Action: ["kinesis:GetRecord", "dynamodb:Get*", "kineses:*"] }] };
      await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(bad));
      const failed = await awsModelCheck("iam-actions", `${dir}/bad.json`);
      strictEqual(failed.errors.length, 2, failed.errors.join("\n"));
      ok(failed.actions["dynamodb:Get*"].includes("GetItem"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deploy/iam-policy.json: an Allow-only policy whose resources are ARNs of its actions' services", () => {
  strictEqual(policy.Version, "2012-10-17");
  const sids = policy.Statement.map((s: Json) => s.Sid);
  strictEqual(new Set(sids).size, sids.length, "distinct Sids");
  for (const statement of policy.Statement) {
    strictEqual(statement.Effect, "Allow", statement.Sid);
    const actions: string[] = [statement.Action].flat();
    const resources: string[] = [statement.Resource].flat();
    const services = new Set(actions.map((a) => a.split(":")[0]));
    strictEqual(services.size, 1, `${statement.Sid}: one service`);
    const [service] = services;
    for (const resource of resources) {
      if (resource === "*") {
        ok(statement.Condition, `${statement.Sid}: "*" only with a condition`);
        continue;
      }
      ok(
        new RegExp(`^arn:aws:${service}:REGION:ACCOUNT:[a-z]+/`).test(resource),
        `${statement.Sid}: ${resource}`,
      );
    }
  }
  // The README points at the file instead of copying it.
  const readme = Deno.readTextFileSync(`${ROOT}/README.md`);
  ok(readme.includes(`(${IAM_POLICY})`), "the README links deploy/iam-policy.json");
  ok(!/"Statement"\s*:/.test(readme), "no copy of the policy in the README");
  const guide = Deno.readTextFileSync(`${ROOT}/deploy/README.md`);
  for (
    const file of ["iam-policy.json", "ecs/task-definition.json", "kubernetes/deployment.yaml"]
  ) {
    ok(guide.includes(`](${file})`), `deploy/README.md links ${file}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

Deno.test("the Deployment runs the image as built: its entrypoint and command, its non-root user", () => {
  strictEqual(container.command, undefined, "the image's entrypoint (tini) stays");
  ok(container.args === undefined || container.args[0] === imageCmd[0], "launch");
  deepStrictEqual(imageEntrypoint.slice(0, 2), ["/usr/bin/tini", "--"]);
  const [uid, gid] = imageUser.split(":").map(Number);
  strictEqual(pod.securityContext.runAsNonRoot, true);
  strictEqual(pod.securityContext.runAsUser, uid);
  strictEqual(pod.securityContext.runAsGroup, gid);
  strictEqual(container.securityContext.allowPrivilegeEscalation, false);
  deepStrictEqual(container.securityContext.capabilities.drop, ["ALL"]);
  // A read-only root needs a writable /tmp (the JVM's and Deno's temporary files).
  if (container.securityContext.readOnlyRootFilesystem) {
    const tmp = container.volumeMounts.find((m: Json) => m.mountPath === "/tmp");
    ok(tmp && !tmp.readOnly, "/tmp is mounted");
    ok(pod.volumes.find((v: Json) => v.name === tmp.name).emptyDir, "an emptyDir");
  }
});

Deno.test("the Deployment's environment is read by kclts and makes a valid configuration", () => {
  const p = configFor(k8sEnv, "Deployment");
  strictEqual(p.get("streamName"), "orders");
  strictEqual(p.get("applicationName"), "orders-consumer");
  strictEqual(p.get("workerId"), k8sEnv.WORKER_ID, "the pod's name");
  strictEqual(
    p.get("AwsCredentialsProvider"),
    "DefaultCredentialsProvider",
    "IRSA through the chain",
  );
  strictEqual(p.get("maxLeasesForWorker"), k8sEnv.KCL_MAX_LEASES_FOR_WORKER);
});

Deno.test("the Deployment stops within its grace period: terminationGracePeriodSeconds > KCLTS_STOP_TIMEOUT_SECONDS", () => {
  const stop = Number(k8sEnv.KCLTS_STOP_TIMEOUT_SECONDS ?? imageEnv.KCLTS_STOP_TIMEOUT_SECONDS);
  ok(pod.terminationGracePeriodSeconds > stop, `${pod.terminationGracePeriodSeconds} > ${stop}`);
  strictEqual(container.lifecycle?.preStop, undefined, "no preStop eats into the grace period");
  strictEqual(
    Number(configFor(k8sEnv, "Deployment").get("shutdownGraceMillis")),
    stop * 1000 - 2000,
  );
});

Deno.test("the Deployment's memory fits KCL_MAX_LEASES_FOR_WORKER shard processes and the JVM", () => {
  const maxLeases = Number(k8sEnv.KCL_MAX_LEASES_FOR_WORKER);
  ok(maxLeases >= 1, "KCL_MAX_LEASES_FOR_WORKER bounds the shard processes");
  const { requests, limits } = container.resources;
  ok(mebibytes(requests.memory) >= neededMebibytes(maxLeases), `request ${requests.memory}`);
  ok(mebibytes(limits.memory) >= mebibytes(requests.memory));
  ok(limits.cpu, "a CPU limit: KCL's CPU utilization is relative to it (Cgroupv2CpuWorkerMetric)");
  // The scaling rule of the comment holds for the stream it names.
  const text = Deno.readTextFileSync(`${ROOT}/${K8S_DIR}/deployment.yaml`);
  const rule = /(\d+) x (\d+): up to (\d+) open shards/.exec(text);
  ok(rule, "the comment states replicas x leases = shards");
  deepStrictEqual(rule.slice(1).map(Number), [
    deployment.spec.replicas,
    maxLeases,
    deployment.spec.replicas * maxLeases,
  ]);
});

Deno.test("the Deployment and the ServiceAccount: selector, IRSA role, EKS detection", () => {
  const labels = deployment.spec.template.metadata.labels;
  for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels)) {
    strictEqual(labels[key], value, `the selector matches the pods: ${key}`);
  }
  const account = manifest("ServiceAccount");
  strictEqual(pod.serviceAccountName, account.metadata.name);
  const role = account.metadata.annotations["eks.amazonaws.com/role-arn"];
  ok(/^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/.test(role), role);
  strictEqual(role, taskDefinition.taskRoleArn, "one role, with deploy/iam-policy.json, for both");
  // KCL's EksResource detects EKS by the service account token file.
  ok(pod.automountServiceAccountToken !== false);
  for (const file of ["deployment.yaml", "serviceaccount.yaml"]) {
    ok(Deno.readTextFileSync(`${ROOT}/${K8S_DIR}/${file}`).includes(IAM_POLICY), file);
  }
});

/** The image's HEALTHCHECK: its options in seconds (retries as a count) and its command. */
function imageHealthcheck(): { options: Record<string, number>; command: string[] } {
  const args = lastInstruction(image, "HEALTHCHECK")!.args;
  const match = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(\[.*\])$/.exec(args);
  ok(match, `HEALTHCHECK ${args}`);
  const options = Object.fromEntries(
    [...match[1]!.matchAll(/--([a-z-]+)=(\d+)s?/g)].map(([, name, value]) => [name, Number(value)]),
  );
  return { options, command: JSON.parse(match[2]!) };
}

Deno.test("the probes and the ECS health check ask the worker's /healthz as the image's HEALTHCHECK does", () => {
  const { options, command } = imageHealthcheck();
  deepStrictEqual(command, [BINARY, "health"]);
  // Kubernetes: kubelet connects from outside the pod, so the listener must not be on loopback.
  const env = { ...imageEnv, ...k8sEnv };
  const metrics = metricsConfigFromEnv(env);
  ok(metrics, "KCLTS_HTTP_PORT is set: the listener runs");
  ok(["0.0.0.0", "::"].includes(metrics.host), `the listener binds ${metrics.host}`);
  const url = new URL(healthUrl(env)!);
  const port = container.ports.find((p: Json) => p.containerPort === metrics.port);
  ok(port, `the container declares port ${metrics.port}`);
  for (const probe of [container.livenessProbe, container.readinessProbe]) {
    strictEqual(probe.httpGet.path, url.pathname);
    ok(probe.httpGet.port === port.name || probe.httpGet.port === metrics.port);
  }
  strictEqual(container.livenessProbe.initialDelaySeconds, options["start-period"]);
  strictEqual(container.livenessProbe.periodSeconds, options.interval);
  strictEqual(container.livenessProbe.timeoutSeconds, options.timeout);
  strictEqual(container.livenessProbe.failureThreshold, options.retries);
  // ECS runs the image's command with the image's timings (it ignores the image's HEALTHCHECK).
  const check = ecsContainer.healthCheck;
  deepStrictEqual(check.command, ["CMD", ...command]);
  deepStrictEqual(
    [check.interval, check.timeout, check.retries, check.startPeriod],
    [options.interval, options.timeout, options.retries, options["start-period"]],
  );
  // ECS's ranges (Amazon ECS API reference, HealthCheck).
  ok(check.interval >= 5 && check.interval <= 300 && check.timeout >= 2 && check.timeout <= 60);
  ok(
    check.retries >= 1 && check.retries <= 10 && check.startPeriod >= 0 && check.startPeriod <= 300,
  );
  ok(ecsContainer.portMappings.some((p: Json) => p.containerPort === metrics.port));
});

// ---------------------------------------------------------------------------------------------
// ECS
// ---------------------------------------------------------------------------------------------

Deno.test("the ECS container runs the image as built, as its user, with kclts's environment", () => {
  strictEqual(ecsContainer.entryPoint, undefined, "the image's entrypoint (tini) stays");
  ok(ecsContainer.command === undefined || ecsContainer.command[0] === imageCmd[0]);
  strictEqual(ecsContainer.user, imageUser);
  strictEqual(ecsContainer.essential, true);
  if (ecsContainer.readonlyRootFilesystem) {
    const tmp = ecsContainer.mountPoints.find((m: Json) => m.containerPath === "/tmp");
    ok(tmp && !tmp.readOnly, "/tmp is mounted");
    ok(taskDefinition.volumes.some((v: Json) => v.name === tmp.sourceVolume));
  }
  const p = configFor(ecsEnv, "ECS");
  strictEqual(p.get("AwsCredentialsProvider"), "DefaultCredentialsProvider", "the task role");
  // The same consumer as the Kubernetes example, workerId aside.
  const { WORKER_ID: _, ...k8sRest } = k8sEnv;
  deepStrictEqual(ecsEnv, k8sRest);
});

Deno.test("the ECS task: stopTimeout covers KCLTS_STOP_TIMEOUT_SECONDS, a task role, awslogs in the stream's region", () => {
  const stop = Number(ecsEnv.KCLTS_STOP_TIMEOUT_SECONDS);
  // ECS: the container's stopTimeout is at most 120 s (Fargate and the EC2 agent).
  ok(
    ecsContainer.stopTimeout > stop && ecsContainer.stopTimeout <= 120,
    `${ecsContainer.stopTimeout}`,
  );
  ok(/^arn:aws:iam::\d{12}:role\//.test(taskDefinition.taskRoleArn));
  const logs = ecsContainer.logConfiguration;
  strictEqual(logs.logDriver, "awslogs");
  strictEqual(logs.options["awslogs-region"], ecsEnv.AWS_REGION);
  ok(logs.options["awslogs-group"] && logs.options["awslogs-stream-prefix"]);
  // awslogs pulls the image and writes logs with the execution role.
  ok(/^arn:aws:iam::\d{12}:role\//.test(taskDefinition.executionRoleArn));
});

Deno.test("the ECS task's memory: the container's limit as in Kubernetes, inside a valid Fargate size", () => {
  deepStrictEqual(
    [ecsContainer.memoryReservation, ecsContainer.memory],
    [mebibytes(container.resources.requests.memory), mebibytes(container.resources.limits.memory)],
  );
  ok(ecsContainer.memoryReservation >= neededMebibytes(Number(ecsEnv.KCL_MAX_LEASES_FOR_WORKER)));
  const cpu = Number(taskDefinition.cpu), memory = Number(taskDefinition.memory);
  ok(memory >= ecsContainer.memory, "the container fits the task");
  // Fargate's CPU and memory combinations (Amazon ECS developer guide, "Task size").
  const fargate: Record<number, [number, number, number]> = {
    256: [512, 2048, 512],
    512: [1024, 4096, 1024],
    1024: [2048, 8192, 1024],
    2048: [4096, 16384, 1024],
    4096: [8192, 30720, 1024],
  };
  ok(taskDefinition.requiresCompatibilities.includes("FARGATE"));
  const [min, max, step] = fargate[cpu] ?? [0, -1, 1];
  ok(
    memory >= min && memory <= max && (memory - min) % step === 0,
    `${cpu}/${memory}`,
  );
});
