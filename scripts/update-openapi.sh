#!/usr/bin/env bash
# Rewrites openapi.yaml from the running service's document, after a deliberate change of the API.
# Review the diff before committing it: openapi.yaml is the contract integrators build against.
set -euo pipefail
cd "$(dirname "$0")/.."
STATSAPI_UPDATE_OPENAPI=1 ./scripts/test.sh --filter "FullyQualifiedName~OpenApiContractTests"
git --no-pager diff --stat -- openapi.yaml || true
