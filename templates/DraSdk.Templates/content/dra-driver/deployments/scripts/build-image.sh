#!/usr/bin/env bash
# Builds the driver image (multi-stage: self-contained publish, then runtime-deps).
source "$(dirname "$0")/common.sh"
docker build -f "$DEPLOYMENTS/Dockerfile" -t "$IMAGE" "$SOLUTION_ROOT"
