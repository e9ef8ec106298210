#!/usr/bin/env bash
# Performs the image's build steps on the host and proves its entry point works (no Docker engine
# needed): restore and publish src/Api only (as the Dockerfile's build stage), lay out /app and
# /models as the final stage does, start the published app with the image's environment, wait for
# /v2/health/ready, classify one digit, stop.
#
#   deploy/publish-local.sh [work-dir] [rest-port]   (gRPC on rest-port + 1, metrics on rest-port + 2;
#                                                    fresh free ports if one of them is taken)
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

# Three free loopback ports, each chosen by the kernel.
free_ports() {
  python3 -c 'import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'
}

cd "$work/app"
server=""
trap 'if [[ -n "$server" ]]; then kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; fi' EXIT
ports="$port $((port + 1)) $((port + 2))"
# A port can be taken between choosing it and binding it (by anything else on the machine, e.g. an
# outgoing connection's ephemeral port): then start again on fresh ports, up to 5 times.
for attempt in 1 2 3 4 5; do
  read -r port grpc metrics <<<"$ports"
  SnnServe__Models__RepositoryPath="$work/models" \
  SnnServe__Models__PreferCuda=false \
  ASPNETCORE_ENVIRONMENT=Production \
  Kestrel__Endpoints__Rest__Url="http://127.0.0.1:$port" \
  Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc" \
  Kestrel__Endpoints__Metrics__Url="http://127.0.0.1:$metrics" \
    dotnet SnnServe.Api.dll >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    curl -fs --max-time 2 "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break 2
    kill -0 $server 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 $server 2>/dev/null; then
    break # running but not ready in 60 s: reported below
  fi
  wait $server 2>/dev/null || true
  server=""
  if ! grep -q "address already in use" "$work/server.log" || [[ $attempt == 5 ]]; then
    cat "$work/server.log" >&2
    exit 1
  fi
  echo "a port was taken (attempt $attempt); starting again on fresh ports" >&2
  ports=$(free_ports)
done
curl -fs --max-time 2 "http://127.0.0.1:$port/v2/health/ready" >/dev/null || { cat "$work/server.log" >&2; echo "not ready" >&2; exit 1; }
body=$(python3 -c 'import json; print(json.dumps({"input": [0.0] * 784}))')
answer=$(curl -fs --max-time 30 -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$port/v1/models/mnist-alif/classify")
echo "ready; classify answered: $answer"
