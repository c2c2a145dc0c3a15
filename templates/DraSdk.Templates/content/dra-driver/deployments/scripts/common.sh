#!/usr/bin/env bash
# Shared settings of the kind scripts; override any of them by exporting it first.
set -euo pipefail
DEPLOYMENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOLUTION_ROOT="$(cd "$DEPLOYMENTS/.." && pwd)"
CLUSTER_NAME="${CLUSTER_NAME:-acme-devicedriver}"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.34.0}"
IMAGE="${IMAGE:-acme-devicedriver:dev}"
NAMESPACE="${NAMESPACE:-acme-devicedriver}"
