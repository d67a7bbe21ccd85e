#!/usr/bin/env bash
# Checks docs/alerts.yml with promtool (syntax, then the rule unit tests in docs/alerts.test.yml).
# promtool comes from Debian's prometheus package. Without it the check is skipped with a notice,
# so `npm test` runs on any machine; the e2e suite still checks that every rule names a metric the
# service exposes. CI sets REQUIRE_PROMTOOL=1, where a missing promtool is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null; then
  if [ "${REQUIRE_PROMTOOL:-}" = "1" ]; then
    echo "promtool is required (Debian's prometheus package) to check docs/alerts.yml" >&2
    exit 1
  fi
  echo "promtool not found: docs/alerts.yml not checked by promtool (apt-get install prometheus to check it)"
  exit 0
fi
promtool check rules docs/alerts.yml
promtool test rules docs/alerts.test.yml
