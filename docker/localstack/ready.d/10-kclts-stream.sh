#!/bin/bash
# LocalStack "ready" hook (mounted into /etc/localstack/init/ready.d by docker-compose.yml):
# creates the stream the processor consumes and waits until it is ACTIVE. KCL creates its own
# DynamoDB tables (lease, coordinator state, worker metrics) in LocalStack.
set -euo pipefail

stream="${STREAM_NAME:-orders}"
shards="${SHARD_COUNT:-4}"

if awslocal kinesis describe-stream-summary --stream-name "$stream" >/dev/null 2>&1; then
  echo "kclts: stream $stream already exists"
else
  awslocal kinesis create-stream --stream-name "$stream" --shard-count "$shards"
fi
awslocal kinesis wait stream-exists --stream-name "$stream"
echo "kclts: stream $stream is ACTIVE"
