#!/usr/bin/env bash
# Load the service on loopback with h2load (gRPC, KServe ModelInfer) and wrk (REST, KServe /v2 infer),
# next to trivial health-check baselines measured in the same run, and write the results table into
# docs/benchmarks.md (between <!-- service-load:begin --> and <!-- service-load:end -->).
#
#   loadtests/run-local.sh [--seconds 10] [--rounds 2] [--warmup 20] [--connections 16] [--streams 8] [--no-write]
#
# Before measuring, the inference paths are loaded for --warmup seconds, unrecorded: .NET's tiered
# JIT recompiles them over the first ~15 s of load (on 2 cores it spent 2.5-3 s of every 5 s on
# compiling then), which a health check, already warm, does not pay. Each round then measures every
# row once; ratios are computed within a round, against both baselines the target allows (gRPC
# ServerLive and REST GET /v2/health/live).
#
# Needs h2load (Debian: nghttp2-client) and wrk; installs them with apt-get when run as root.
# Starts its own server (Release build) on ports 18000-18002 and stops it at the end.
set -euo pipefail

seconds=10
rounds=2
warmup=20
connections=16
streams=8
write=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --streams) streams="$2"; shift 2 ;;
    --no-write) write=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
payloads="$root/loadtests/payloads"
rest=18000 grpc=18001 metrics=18002

need() {
  if ! command -v "$1" >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      apt-get install -y -q "$2" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null; }
    else
      echo "run-local.sh needs $1 (Debian/Ubuntu: apt-get install $2)" >&2
      exit 1
    fi
  fi
}
need h2load nghttp2-client
need wrk wrk

for f in kserve-infer-easy.grpc kserve-infer-easy-raw.grpc kserve-infer-hard.grpc server-live.grpc kserve-infer-easy.json kserve-infer-hard.json; do
  [[ -f "$payloads/$f" ]] || { echo "missing $payloads/$f (regenerate: dotnet run -c Release --project bench -- payloads)" >&2; exit 1; }
done

dotnet build -c Release "$root/src/Api" -v q -nologo >/dev/null
log="$(mktemp)"
# Start from the output folder: it is the content root, where appsettings.json (gRPC endpoint = HTTP/2) lives.
cd "$root/src/Api/bin/Release/net10.0"
Kestrel__Endpoints__Rest__Url="http://127.0.0.1:$rest" \
Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc" \
Kestrel__Endpoints__Metrics__Url="http://127.0.0.1:$metrics" \
SnnServe__Models__RepositoryPath="$root/models" \
Logging__LogLevel__Default=Warning \
  dotnet SnnServe.Api.dll >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$rest/v2/health/ready" >/dev/null && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$rest/v2/health/ready" >/dev/null || { cat "$log" >&2; echo "server did not become ready" >&2; exit 1; }

lua="$(mktemp --suffix .lua)"
results="$(mktemp)"
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log" "$lua" "$results" "$raw"' EXIT

served() { curl -fs "http://127.0.0.1:$metrics/metrics" | awk '/^snnserve_requests_total\{/ && /outcome="ok"/ { s += $NF } END { printf "%d", s }'; }

raw="$(mktemp)"
round=0

# h2load: name path body [seconds]
h2() {
  local name="$1" path="$2" body="$3" duration="${4:-$seconds}" before after out
  before=$(served)
  out=$(h2load -D "$duration" --warm-up-time=1 -c "$connections" -m "$streams" -t 2 \
    -H 'content-type: application/grpc' -H 'te: trailers' -d "$body" "http://127.0.0.1:$grpc$path" 2>&1)
  after=$(served)
  local rps p50 p99 ok
  rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' <<<"$out")
  ok=$(awk '/^status codes:/ { gsub(",", "", $3); print $3 }' <<<"$out")
  p50=$(awk '/^time for request:/ { print $6 }' <<<"$out")
  [[ $round == 0 ]] && { echo "warm-up $name: $rps req/s" >&2; return; }
  echo "| $round | gRPC (h2load, $connections conn × $streams streams) | $name | $rps | $p50 (mean) | $ok 2xx; server counted $((after - before)) inferences incl. the 1 s warm-up |" >>"$results"
  echo "$round grpc $name|$rps" >>"$raw"
  echo "round $round $name: $rps req/s" >&2
}

# wrk: name path body [seconds]
wk() {
  local name="$1" path="$2" body="$3" duration="${4:-$seconds}" out
  if [[ -n "$body" ]]; then
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal f = io.open("%s", "rb")\nwrk.body = f:read("*a")\nf:close()\n' "$body" >"$lua"
  else
    printf 'wrk.method = "GET"\n' >"$lua"
  fi
  out=$(wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$lua" "http://127.0.0.1:$rest$path" 2>&1)
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
  [[ $round == 0 ]] && { echo "warm-up $name: $rps req/s" >&2; return; }
  echo "| $round | REST (wrk, $connections conn) | $name | $rps | p50 $p50, p99 $p99 | ${errors:-0} non-2xx |" >>"$results"
  echo "$round rest $name|$rps" >>"$raw"
  echo "$name: $rps req/s" >&2
}

if [[ $warmup -gt 0 ]]; then
  third=$(( (warmup + 2) / 3 ))
  h2 "ModelInfer mnist-alif, easy digit" /inference.GRPCInferenceService/ModelInfer "$payloads/kserve-infer-easy.grpc" "$third"
  h2 "ModelInfer mnist-alif, hard digit" /inference.GRPCInferenceService/ModelInfer "$payloads/kserve-infer-hard.grpc" "$third"
  h2 "ModelInfer mnist-alif, easy digit, raw contents" /inference.GRPCInferenceService/ModelInfer "$payloads/kserve-infer-easy-raw.grpc" "$third"
  wk "POST /v2/models/mnist-alif/infer, easy digit" /v2/models/mnist-alif/infer "$payloads/kserve-infer-easy.json" "$third"
fi

for round in $(seq 1 "$rounds"); do
  h2 "ServerLive (baseline)" /inference.GRPCInferenceService/ServerLive "$payloads/server-live.grpc"
  h2 "ModelInfer mnist-alif, easy digit" /inference.GRPCInferenceService/ModelInfer "$payloads/kserve-infer-easy.grpc"
  h2 "ModelInfer mnist-alif, hard digit" /inference.GRPCInferenceService/ModelInfer "$payloads/kserve-infer-hard.grpc"
  h2 "ModelInfer mnist-alif, easy digit, raw contents" /inference.GRPCInferenceService/ModelInfer "$payloads/kserve-infer-easy-raw.grpc"
  wk "GET /v2/health/live (baseline)" /v2/health/live ""
  wk "POST /v2/models/mnist-alif/infer, easy digit" /v2/models/mnist-alif/infer "$payloads/kserve-infer-easy.json"
  wk "POST /v2/models/mnist-alif/infer, hard digit" /v2/models/mnist-alif/infer "$payloads/kserve-infer-hard.json"
done

# Per round: gRPC ModelInfer throughput over each baseline of the same round.
ratios=$(awk -F'|' '
  { split($1, k, " "); r = k[1]; name = substr($1, length(k[1]) + length(k[2]) + 3); v[r, k[2], name] = $2; rounds[r] = 1 }
  END {
    for (r in rounds) {
      g = v[r, "grpc", "ServerLive (baseline)"]; h = v[r, "rest", "GET /v2/health/live (baseline)"]
      e = v[r, "grpc", "ModelInfer mnist-alif, easy digit"]; d = v[r, "grpc", "ModelInfer mnist-alif, hard digit"]
      w = v[r, "grpc", "ModelInfer mnist-alif, easy digit, raw contents"]
      printf "| %s | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× |\n", r, e / g, d / g, w / g, e / h, d / h, w / h
    }
  }' "$raw" | sort)
table=$(cat <<EOF
Command: \`loadtests/run-local.sh --seconds $seconds --rounds $rounds --warmup $warmup --connections $connections --streams $streams\` — server and load generator on the same $(nproc)-core machine, loopback, Release build, default configuration (continuous scheduler); the inference paths were loaded for $warmup s first (unrecorded: JIT tiering).

| round | transport | request | requests/s | latency | checks |
|---|---|---|---:|---|---|
$(cat "$results")

gRPC ModelInfer throughput as a fraction of the same round's baselines (target ≥ 0.25× of the gRPC or the REST health check):

| round | easy / gRPC ServerLive | hard / gRPC ServerLive | easy raw / gRPC ServerLive | easy / REST /v2/health/live | hard / REST /v2/health/live | easy raw / REST /v2/health/live |
|---|---:|---:|---:|---:|---:|---:|
$ratios
EOF
)
echo "$table"
if [[ $write == 1 ]]; then
  python3 - "$root/docs/benchmarks.md" "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
begin, end = "<!-- service-load:begin -->", "<!-- service-load:end -->"
text = open(path).read()
section = begin + "\n" + table + "\n" + end
a, b = text.find(begin), text.find(end)
text = text[:a] + section + text[b + len(end):] if a >= 0 and b > a else text + "\n" + section + "\n"
open(path, "w").write(text)
PY
fi
