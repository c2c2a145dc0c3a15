#!/usr/bin/env bash
# The whole newcomer sequence: image, cluster, image load, driver, demo workloads. Needs docker or podman, kind and
# kubectl (helm if installed, otherwise the static manifest is applied): all checked before anything starts.
source "$(dirname "$0")/common.sh"
require container kind kubectl
bash "$DEPLOYMENTS/scripts/build-image.sh"
bash "$DEPLOYMENTS/scripts/create-cluster.sh"
bash "$DEPLOYMENTS/scripts/load-image.sh"
bash "$DEPLOYMENTS/scripts/install.sh"
bash "$DEPLOYMENTS/scripts/demo.sh"
