#!/usr/bin/env bash
# Runs the demo workload (a pod with a claim for one device) and shows what its container got.
source "$(dirname "$0")/common.sh"
require kubectl
kubectl apply -f "$DEPLOYMENTS/demo/claim-demo.yaml"
kubectl -n acme-devicedriver-demo wait --for=condition=Ready pod/demo --timeout=120s
kubectl -n acme-devicedriver-demo get pods,resourceclaims
kubectl -n acme-devicedriver-demo logs demo
