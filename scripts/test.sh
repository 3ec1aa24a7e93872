#!/usr/bin/env bash
# Runs the whole test suite (unit, integration, corpus conformance).
# The corpus tests read ../shared/corpus and skip with a message when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
go test -race -count=1 -timeout 20m ./...
