#!/usr/bin/env bash
# Loads the locally built image into the kind nodes (no registry needed).
source "$(dirname "$0")/common.sh"
kind load docker-image "$IMAGE" --name "$CLUSTER_NAME"
