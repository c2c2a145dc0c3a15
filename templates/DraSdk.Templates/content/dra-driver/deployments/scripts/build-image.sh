#!/usr/bin/env bash
# Builds the driver image (multi-stage: self-contained publish, then runtime-deps).
source "$(dirname "$0")/common.sh"
require container
"$CONTAINER_TOOL" build -f "$DEPLOYMENTS/Dockerfile" -t "$(qualified_image)" "$SOLUTION_ROOT"
