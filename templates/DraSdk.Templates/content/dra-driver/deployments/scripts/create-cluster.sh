#!/usr/bin/env bash
# Creates the kind cluster: one control plane and one worker, DRA enabled, containerd with CDI.
source "$(dirname "$0")/common.sh"
require container kind kubectl
kind create cluster --name "$CLUSTER_NAME" --image "$KIND_NODE_IMAGE" --config "$DEPLOYMENTS/kind/kind-config.yaml"
kubectl cluster-info --context "kind-$CLUSTER_NAME"
