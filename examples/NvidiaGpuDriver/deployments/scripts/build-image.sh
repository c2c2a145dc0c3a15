#!/usr/bin/env bash
# Builds the driver image from the repository root (multi-stage: self-contained publish, then runtime-deps).
source "$(dirname "$0")/common.sh"
require container
"$CONTAINER_TOOL" build -f "$DEPLOYMENTS/Dockerfile" -t "$(qualified_image)" "$REPO_ROOT"
