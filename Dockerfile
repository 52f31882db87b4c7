# kclts: one image that consumes a Kinesis stream with your processor.
#
#   docker build -t my-consumer .                                   # processor.ts
#   docker build -t my-consumer --build-arg PROCESSOR=src/orders.ts .
#   docker build -t my-consumer --build-arg KCLTS_HUB=1 .          # for hub mode (-e KCLTS_HUB=1)
#   docker run --rm -e STREAM_NAME=orders -e AWS_REGION=eu-west-1 my-consumer
#
# Two parts: the runtime image (docker/runtime/Dockerfile: JRE, sylvite.jar, properties/, tini,
# non-root user, entrypoint, environment), and the processor compiled with `deno task compile`,
# copied in at /opt/kclts/processor. A plain `docker build .` cannot include another Dockerfile,
# so the runtime's instructions are copied below between the two markers; tests/docker_test.ts
# fails when the copy differs from docker/runtime/Dockerfile. Edit that file, then run
# `deno run -A tools/dockerfile.ts`. Everything about the environment, the entrypoint and the
# stop timeout is documented there.

ARG DENO_IMAGE=denoland/deno:2.9.6

# >>> docker/runtime/Dockerfile, copied by tools/dockerfile.ts: edit that file, not this block
ARG MAVEN_IMAGE=maven:3.9.16-eclipse-temurin-17-noble
ARG JRE_IMAGE=eclipse-temurin:17.0.20_8-jre-noble

# ---------------------------------------------------------------- the daemon jar
# Java bytecode: built once, on the build machine's platform, for every target platform.
FROM --platform=$BUILDPLATFORM ${MAVEN_IMAGE} AS jar
WORKDIR /src
COPY sylvite/pom.xml sylvite/pom.xml
COPY sylvite/src sylvite/src
# The optional secret "maven_settings" is a settings.xml (mirrors, credentials): used only while
# this command runs, it never reaches a layer. Without it, Maven Central.
RUN --mount=type=secret,id=maven_settings,required=false \
  if [ -s /run/secrets/maven_settings ]; then set -- -s /run/secrets/maven_settings; fi \
  && mvn -B -q "$@" -f sylvite/pom.xml package

# ---------------------------------------------------------------- the runtime
# A JRE on Ubuntu (glibc: a `deno compile` binary does not run on musl/Alpine).
FROM ${JRE_IMAGE} AS runtime
# tini is PID 1; socat is hub mode's relay between the daemon's pipes and the hub's socket
# (src/hub/relay.ts). Packages come from the base image's Ubuntu release, pinned by its tag; exact
# package versions would break the build whenever Ubuntu publishes a (security) update.
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends socat tini \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system --gid 10001 kclts \
  && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/kclts \
    --shell /usr/sbin/nologin kclts
# The launcher finds sylvite.jar and properties/kcl.properties next to its own binary, and sets
# the daemon's executableName to the binary itself: /opt/kclts/processor (added by your image).
COPY --from=jar /src/sylvite/target/sylvite.jar /opt/kclts/sylvite.jar
COPY properties/ /opt/kclts/properties/
ENV KCLTS_STOP_TIMEOUT_SECONDS=10 \
    KCLTS_JAVA_OPTS="-XX:+ExitOnOutOfMemoryError" \
    KCLTS_LOG_LEVEL=info \
    KCLTS_LOG_FORMAT=text \
    SYLVITE_LOG_LEVEL=INFO \
    KCLTS_HTTP_PORT=9464 \
    KCLTS_HTTP_HOST=0.0.0.0
# /metrics and /healthz of the launcher (or the hub). The binary asks /healthz itself: no curl.
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/opt/kclts/processor", "health"]
LABEL org.opencontainers.image.title="kclts runtime" \
      org.opencontainers.image.description="The KCL MultiLangDaemon for a kclts processor: add /opt/kclts/processor" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 10001:10001
WORKDIR /home/kclts
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/kclts/processor"]
CMD ["launch"]
# <<< docker/runtime/Dockerfile

# ---------------------------------------------------------------- the processor binary
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
# KCLTS_HUB=1 builds for hub mode: the hub's V8 flags (a 16 MiB young generation) instead of a
# per-shard child's (2 MiB); run such an image with -e KCLTS_HUB=1 (README: "Hub mode").
ARG KCLTS_HUB=0
# The same task the tests use: the permission flags of src/runtime/permissions.ts, plus --frozen.
RUN OUTPUT=/out/processor KCLTS_HUB="${KCLTS_HUB}" deno task compile "${PROCESSOR}"

# ---------------------------------------------------------------- the consumer image
FROM runtime
COPY --from=build /out/processor /opt/kclts/processor
