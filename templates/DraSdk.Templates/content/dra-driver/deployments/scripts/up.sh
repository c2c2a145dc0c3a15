#!/usr/bin/env bash
# The whole sequence: image, cluster, image load, driver, demo workload. Needs docker or podman, kind, kubectl and
# helm: all checked before anything starts.
source "$(dirname "$0")/common.sh"
require container kind kubectl helm
bash "$DEPLOYMENTS/scripts/build-image.sh"
bash "$DEPLOYMENTS/scripts/create-cluster.sh"
bash "$DEPLOYMENTS/scripts/load-image.sh"
bash "$DEPLOYMENTS/scripts/install.sh"
bash "$DEPLOYMENTS/scripts/demo.sh"
