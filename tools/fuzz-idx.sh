#!/usr/bin/env bash
# Kept for old instructions: tools/fuzz.sh [SECONDS] idx (see tools/fuzz.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/fuzz.sh" "${1:-60}" idx
