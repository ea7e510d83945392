#!/usr/bin/env bash
# Prints the CAs this machine adds to the system's (a TLS proxy's on the way to the npm registry),
# which the services' build stage must trust too: EXTRA_CA_CERTS if set, else
# /usr/local/share/ca-certificates. Used by build.sh and scripts/compose-check.sh.
if [[ -n "${EXTRA_CA_CERTS:-}" ]]; then printf '%s' "$EXTRA_CA_CERTS"; exit 0; fi
cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true
