#!/usr/bin/env bash
# Creates the kind cluster: one control plane, one worker labelled nvidia.com/gpu.present=true.
source "$(dirname "$0")/common.sh"
require container kind kubectl
kind create cluster --name "$CLUSTER_NAME" --image "$KIND_NODE_IMAGE" --config "$DEPLOYMENTS/kind/kind-config.yaml"
kubectl cluster-info --context "kind-$CLUSTER_NAME"
