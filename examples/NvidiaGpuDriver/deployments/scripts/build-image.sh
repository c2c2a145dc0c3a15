#!/usr/bin/env bash
# Builds the driver image from the repository root (multi-stage: self-contained publish, then runtime-deps).
source "$(dirname "$0")/common.sh"
docker build -f "$DEPLOYMENTS/Dockerfile" -t "$IMAGE" "$REPO_ROOT"
