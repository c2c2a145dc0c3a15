#!/usr/bin/env bash
# Shared settings of the kind scripts; override by exporting them first.
set -euo pipefail
DEPLOYMENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$DEPLOYMENTS/../../.." && pwd)"
CLUSTER_NAME="${CLUSTER_NAME:-nvidia-dra}"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.34.0}"
IMAGE="${IMAGE:-nvidia-gpu-driver:dev}"
NAMESPACE="${NAMESPACE:-nvidia-dra-driver}"
# The container tool that builds the image and runs kind's nodes: docker or podman (the first installed, docker
# first), or the one CONTAINER_TOOL names.
CONTAINER_TOOL="${CONTAINER_TOOL:-}"

# require TOOL...: before a script does anything, checks that every tool it runs is installed, and stops with one
# message naming all that are missing. "container" stands for the container tool.
require() {
  local missing=() tool
  for tool in "$@"; do
    if [ "$tool" = container ]; then
      if [ -n "$CONTAINER_TOOL" ]; then
        command -v "$CONTAINER_TOOL" >/dev/null 2>&1 || missing+=("$CONTAINER_TOOL (named by CONTAINER_TOOL)")
      elif command -v docker >/dev/null 2>&1; then
        CONTAINER_TOOL=docker
      elif command -v podman >/dev/null 2>&1; then
        CONTAINER_TOOL=podman
      else
        missing+=("docker or podman (or set CONTAINER_TOOL)")
      fi
    elif ! command -v "$tool" >/dev/null 2>&1; then
      missing+=("$tool")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    local list
    list="$(printf '%s, ' "${missing[@]}")"
    echo "${0##*/}: missing prerequisites: ${list%, }. Install them (or put them on PATH) and run it again; nothing was done." >&2
    exit 1
  fi
  export CONTAINER_TOOL
  if [ "$CONTAINER_TOOL" = podman ]; then
    export KIND_EXPERIMENTAL_PROVIDER="${KIND_EXPERIMENTAL_PROVIDER:-podman}"
  fi
}

# The image's full name: podman names an image without a registry localhost/<name>, which a pod's <name> (that is,
# docker.io/library/<name>) would not find on the kind node, so it is built and loaded with the full name.
qualified_image() {
  local first="${IMAGE%%/*}"
  if [ "$first" != "$IMAGE" ] && { [[ "$first" == *.* ]] || [[ "$first" == *:* ]] || [ "$first" = localhost ]; }; then
    echo "$IMAGE"
  elif [[ "$IMAGE" == */* ]]; then
    echo "docker.io/$IMAGE"
  else
    echo "docker.io/library/$IMAGE"
  fi
}
