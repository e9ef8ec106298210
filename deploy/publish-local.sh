#!/usr/bin/env bash
# Performs the image's build steps on the host and proves its entry point works (no Docker engine
# needed): restore and publish src/Api only (as the Dockerfile's build stage), lay out /app and
# /models as the final stage does, start the published app with the image's environment, wait for
# /v2/health/ready, classify one digit, stop.
#
#   deploy/publish-local.sh [work-dir] [rest-port]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d)}"
port="${2:-18080}"
mkdir -p "$work"

dotnet publish "$root/src/Api/Api.csproj" -c Release -o "$work/app" -nologo -v q >/dev/null
rm -rf "$work/models" && cp -r "$root/models" "$work/models"
if find "$work/app" -iname '*torch*' | grep -q .; then
  echo "the published app must not contain TorchSharp" >&2
  exit 1
fi

cd "$work/app"
SnnServe__Models__RepositoryPath="$work/models" \
SnnServe__Models__PreferCuda=false \
ASPNETCORE_ENVIRONMENT=Production \
Kestrel__Endpoints__Rest__Url="http://127.0.0.1:$port" \
Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$((port + 1))" \
Kestrel__Endpoints__Metrics__Url="http://127.0.0.1:$((port + 2))" \
  dotnet SnnServe.Api.dll >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null || { cat "$work/server.log" >&2; echo "not ready" >&2; exit 1; }
body=$(python3 -c 'import json; print(json.dumps({"input": [0.0] * 784}))')
answer=$(curl -fs -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$port/v1/models/mnist-alif/classify")
echo "ready; classify answered: $answer"
