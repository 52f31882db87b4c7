# kclts: one image that consumes a Kinesis stream with your processor.
#
#   docker build -t my-consumer .                                   # processor.ts
#   docker build -t my-consumer --build-arg PROCESSOR=src/orders.ts .
#   docker run --rm -e STREAM_NAME=orders -e AWS_REGION=eu-west-1 my-consumer
#
# The entrypoint is the processor binary's launcher (`processor launch`): it
# starts the KCL MultiLangDaemon (java -jar sylvite.jar), which runs the same
# binary once per leased shard. tini is PID 1: it passes SIGTERM to the
# launcher, which passes it to the daemon, which shuts the shard processors
# down gracefully (final checkpoints) within KCLTS_STOP_TIMEOUT_SECONDS - 2 s;
# tini also reaps any orphaned process.
#
# Environment (nothing is required at build time; no credentials are baked in):
#   STREAM_NAME or STREAM_ARN   the stream (required)
#   APPLICATION_NAME            the KCL application = the DynamoDB lease table
#                               (default: <stream>-consumer; set it when two applications read one stream)
#   AWS_REGION                  the region (required; AWS_DEFAULT_REGION also works)
#   INITIAL_POSITION            TRIM_HORIZON (default), LATEST, or a date (AT_TIMESTAMP)
#   WORKER_ID                   default: the container's host name
#   KINESIS_ENDPOINT, DYNAMODB_ENDPOINT   VPC endpoints or emulators
#   KCL_<KEY_IN_UPPER_SNAKE_CASE>         any daemon property, e.g. KCL_MAX_RECORDS=500
#   KCLTS_STOP_TIMEOUT_SECONDS  your stop timeout (docker stop -t, ECS stopTimeout, Kubernetes
#                               terminationGracePeriodSeconds); the daemon gets this minus 2 s
#   KCLTS_JAVA_OPTS             JVM options of the daemon
#   KCLTS_LOG_LEVEL, KCLTS_LOG_FORMAT, KCLTS_TRACE   the shard processors' logs (stderr)
#   SYLVITE_LOG_LEVEL           the daemon's logs (stderr)
#   KCLTS_PROPERTIES, KCLTS_JAR  another properties template / daemon jar
# Credentials: the AWS SDK's default chain (environment, web identity / IRSA, ECS task role,
# EC2 instance profile). `docker run <image> doctor` checks Java, the jar, the configuration
# and the endpoints; `docker run <image> properties` prints the effective daemon properties.

ARG DENO_IMAGE=denoland/deno:2.9.6
ARG MAVEN_IMAGE=maven:3.9.16-eclipse-temurin-17-noble
ARG RUNTIME_IMAGE=eclipse-temurin:17.0.20_8-jre-noble

# ---------------------------------------------------------------- 1. the processor binary
FROM ${DENO_IMAGE} AS build
WORKDIR /src
# Dependencies first (a cached layer): the npm packages of deno.lock, and denort, the runtime
# that `deno compile` downloads once per Deno version.
COPY deno.json deno.lock ./
RUN deno install --frozen \
  && printf 'export {};\n' > /tmp/warm.ts \
  && deno compile --no-config --output /tmp/warm /tmp/warm.ts \
  && rm /tmp/warm /tmp/warm.ts
# The sources; .dockerignore keeps node_modules out (deno compile would embed a node_modules
# folder), as well as .git, dist/ and build outputs.
COPY . .
# The processor's entry file, relative to the repository.
ARG PROCESSOR=processor.ts
# The same task the tests use: the permission flags of src/runtime/permissions.ts, plus --frozen.
RUN OUTPUT=/out/processor deno task compile "${PROCESSOR}"

# ---------------------------------------------------------------- 2. the daemon jar
FROM ${MAVEN_IMAGE} AS jar
WORKDIR /src
COPY sylvite/pom.xml sylvite/pom.xml
COPY sylvite/src sylvite/src
RUN mvn -B -q -f sylvite/pom.xml package

# ---------------------------------------------------------------- 3. the runtime
# A JRE on Ubuntu (glibc: the compiled binary does not run on musl/Alpine).
FROM ${RUNTIME_IMAGE}
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system --gid 10001 kclts \
  && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/kclts \
    --shell /usr/sbin/nologin kclts
# The launcher finds sylvite.jar and properties/kcl.properties next to its own binary, and sets
# the daemon's executableName to the binary itself: /opt/kclts/processor.
COPY --from=jar /src/sylvite/target/sylvite.jar /opt/kclts/sylvite.jar
COPY properties/ /opt/kclts/properties/
COPY --from=build /out/processor /opt/kclts/processor
ENV KCLTS_STOP_TIMEOUT_SECONDS=10 \
    KCLTS_JAVA_OPTS="-XX:+ExitOnOutOfMemoryError" \
    KCLTS_LOG_LEVEL=info \
    KCLTS_LOG_FORMAT=text \
    SYLVITE_LOG_LEVEL=INFO
LABEL org.opencontainers.image.title="kclts consumer" \
      org.opencontainers.image.description="A Kinesis stream consumer: the KCL MultiLangDaemon running a kclts processor" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 10001:10001
WORKDIR /home/kclts
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/kclts/processor"]
CMD ["launch"]
