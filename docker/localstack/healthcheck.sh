#!/bin/bash
# The LocalStack service's healthcheck (docker-compose.yml): healthy once the stream that the
# ready hook creates is ACTIVE, so that the processor and the producer start after it exists.
set -euo pipefail

status=$(awslocal kinesis describe-stream-summary --stream-name "${STREAM_NAME:-orders}" \
  --query StreamDescriptionSummary.StreamStatus --output text 2>/dev/null)
[ "$status" = ACTIVE ]
