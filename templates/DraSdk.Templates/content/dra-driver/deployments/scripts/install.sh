#!/usr/bin/env bash
# Installs (or upgrades) the driver with its Helm chart and waits until it runs on every node.
source "$(dirname "$0")/common.sh"
require helm kubectl
helm upgrade --install acme-devicedriver "$DEPLOYMENTS/helm/acme-devicedriver" \
  --namespace "$NAMESPACE" --create-namespace \
  -f "$DEPLOYMENTS/helm/acme-devicedriver/values-kind.yaml" \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}"
kubectl -n "$NAMESPACE" rollout status daemonset/acme-devicedriver --timeout=120s
kubectl get deviceclasses
kubectl get resourceslices -o wide
