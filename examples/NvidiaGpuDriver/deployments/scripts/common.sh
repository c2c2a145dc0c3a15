#!/usr/bin/env bash
# Shared settings of the kind scripts; override by exporting them first.
set -euo pipefail
DEPLOYMENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$DEPLOYMENTS/../../.." && pwd)"
CLUSTER_NAME="${CLUSTER_NAME:-nvidia-dra}"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.34.0}"
IMAGE="${IMAGE:-nvidia-gpu-driver:dev}"
NAMESPACE="${NAMESPACE:-nvidia-dra-driver}"
