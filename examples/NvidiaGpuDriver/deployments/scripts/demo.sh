#!/usr/bin/env bash
# Runs the demo workloads and shows what each container got.
source "$(dirname "$0")/common.sh"
require kubectl
for spec in "$DEPLOYMENTS"/demo/gpu-test*.yaml; do
  kubectl apply -f "$spec"
done
for ns in gpu-test1 gpu-test2 gpu-test3 gpu-test4 gpu-test5 gpu-test6; do
  kubectl -n "$ns" wait --for=condition=Ready pod --all --timeout=120s
  kubectl -n "$ns" get pods,resourceclaims
  for pod in $(kubectl -n "$ns" get pods -o name); do
    echo "== $ns/$pod"; kubectl -n "$ns" logs "$pod" --all-containers --prefix
  done
done
