#!/usr/bin/env bash
# Loads the locally built image into the kind nodes (no registry needed).
source "$(dirname "$0")/common.sh"
require container kind
if [ "$CONTAINER_TOOL" = docker ]; then
  kind load docker-image "$IMAGE" --name "$CLUSTER_NAME"
else
  archive="${TMPDIR:-/tmp}/$CLUSTER_NAME-image.tar"
  "$CONTAINER_TOOL" save -o "$archive" "$(qualified_image)"
  kind load image-archive "$archive" --name "$CLUSTER_NAME"
fi
