#!/usr/bin/env bash
# Installs the driver in replay mode: with Helm when it is installed, otherwise the rendered static manifest.
source "$(dirname "$0")/common.sh"
require kubectl
if command -v helm >/dev/null 2>&1; then
  helm upgrade --install nvidia-gpu-driver "$DEPLOYMENTS/helm/nvidia-gpu-driver" \
    --namespace "$NAMESPACE" --create-namespace \
    -f "$DEPLOYMENTS/helm/nvidia-gpu-driver/values-kind.yaml" \
    --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}"
else
  kubectl apply -f "$DEPLOYMENTS/static/nvidia-gpu-driver.yaml"
fi
kubectl -n "$NAMESPACE" rollout status daemonset/nvidia-gpu-driver --timeout=120s
kubectl get deviceclasses
kubectl get resourceslices -o wide
