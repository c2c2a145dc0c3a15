#!/usr/bin/env bash
# The whole newcomer sequence: image, cluster, image load, driver, demo workloads.
source "$(dirname "$0")/common.sh"
"$DEPLOYMENTS/scripts/build-image.sh"
"$DEPLOYMENTS/scripts/create-cluster.sh"
"$DEPLOYMENTS/scripts/load-image.sh"
"$DEPLOYMENTS/scripts/install.sh"
"$DEPLOYMENTS/scripts/demo.sh"
