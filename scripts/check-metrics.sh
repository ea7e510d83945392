#!/usr/bin/env bash
# Checks every service's GET /metrics, and the reconciler's, with Prometheus's own promtool (Debian's `prometheus` package):
# the exposition must parse and lint clean. The client library's own defaults break two lint rules,
# by their names only: the gauges nodejs_active_handles_total, nodejs_active_requests_total and
# nodejs_active_resources_total ("_total" suffix), and @prometheus-io/client's event loop
# utilization, nodejs_eventloop_utilization_histogram and _summary (the type in the name). Those
# findings, and only they, are allowed.
set -euo pipefail
command -v promtool >/dev/null || { echo "check-metrics: promtool not found (apt-get install prometheus)"; exit 1; }
allowed='^(nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix|nodejs_eventloop_utilization_(histogram|summary) metric name should not include type '"'"'(histogram|summary)'"'"')$'
status=0
for url in http://127.0.0.1:3000/metrics http://127.0.0.1:3001/metrics http://127.0.0.1:3002/metrics http://127.0.0.1:3009/metrics; do
  body=$(curl -sf "$url") || { echo "check-metrics: $url did not answer"; exit 1; }
  findings=$(printf '%s\n' "$body" | promtool check metrics 2>&1 || true)
  unexpected=$(printf '%s\n' "$findings" | grep -Ev "$allowed" | grep -v '^$' || true)
  if [ -n "$unexpected" ]; then
    echo "check-metrics: $url:"; echo "$unexpected"; status=1
  else
    echo "check-metrics: $url: $(printf '%s\n' "$body" | grep -vc '^#') samples, promtool finds nothing of ours"
  fi
done
exit "$status"
