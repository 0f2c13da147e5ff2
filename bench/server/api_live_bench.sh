#!/usr/bin/env bash
# The API under load (issue 7): `meg demo` (the hospital twin at 60x, its store and server) on a
# free loopback port, then wrk (Debian) on the live-values endpoint with a logged-in session.
# Prints requests/s and latency percentiles. Usage (after a release build):
#   bench/server/api_live_bench.sh [connections=50] [seconds=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
connections=${1:-50}
seconds=${2:-10}
out=$(mktemp -d /tmp/openmeg-api-bench-XXXXXX)
build/release/src/meg demo --port 0 --state-dir "$out" --web-dir "" --status-every 86400 >"$out/meg.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 1 300); do
  grep -q '^login ' "$out/meg.log" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^OpenMEG control center: \(http[^ ]*\).*/\1/p' "$out/meg.log")
password=$(sed -n 's/^login  operator: demo \/ \([a-z0-9]*\).*/\1/p' "$out/meg.log")
token=$(curl -sf -X POST "${url}api/login" -d "{\"user\":\"demo\",\"password\":\"$password\"}" |
  sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
[[ -n "$token" ]] || { cat "$out/meg.log"; echo "bench: could not log in"; exit 1; }
echo "GET ${url}api/sites/jeonju-hospital/live, $connections connections, 2 threads, ${seconds} s (meg demo on the same 2 cores)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" \
  "${url}api/sites/jeonju-hospital/live"
