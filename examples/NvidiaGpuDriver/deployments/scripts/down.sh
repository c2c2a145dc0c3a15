#!/usr/bin/env bash
# Deletes the kind cluster.
source "$(dirname "$0")/common.sh"
require container kind
kind delete cluster --name "$CLUSTER_NAME"
