#!/usr/bin/env bash
# Load test of the serving example (examples/serving) on 127.0.0.1 only.
#
#   scripts/loadtest.sh            10 s of load on release builds: the README's figures
#   scripts/loadtest.sh --smoke    2 s on the debug builds `cargo test` left (no
#                                  release build), failing unless every request succeeded
#   options: --duration SECS --connections N --wrk-threads T --workers W
#
# Bounded and self-stopping: the load generator (wrk, from Debian; installed
# with apt-get when missing and running as root) runs for --duration and is
# killed by `timeout` after that plus 30 s; the service is started with a
# lifetime and is stopped when the script exits, however it exits. Nothing
# is sent anywhere but 127.0.0.1.
#
# What is served: the artefacts of `calib demo --workflow` (verified
# manifests of the incumbent and the candidate), with the rollout at 50 %,
# so both calibrators answer. Every request carries 50 scores.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

DURATION=10 CONNECTIONS=8 WRK_THREADS=1 WORKERS=1 SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1; DURATION=2 ;;
    --duration) DURATION=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --wrk-threads) WRK_THREADS=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    *) echo "loadtest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "loadtest.sh: needs wrk (Debian: apt-get install wrk)" >&2
    exit 2
  fi
fi

if [ "$SMOKE" = 1 ]; then
  cargo build --locked -q -p calib-cli -p calib-serving
  BIN="$CARGO_TARGET_DIR/debug"
else
  cargo build --release --locked -q -p calib-cli -p calib-serving
  BIN="$CARGO_TARGET_DIR/release"
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN/calib" demo --workflow --out "$WORK/wf" --rows 60000 >"$WORK/workflow.txt"
# The rollout at 50 %: a controller state (calib_core::rollout::State).
printf '%s\n' '{"phase":"50","windows_at_stage":0,"passes_at_stage":0,"consecutive_breaches":0,"recent":[],"trips":0,"tripped_at_ms":null,"last_window":null,"windows":0}' >"$WORK/rollout.json"

"$BIN/calib-serving" --port 0 --workers "$WORKERS" --watch-ms 0 \
  --max-lifetime-secs $((DURATION + 60)) \
  --pubkey "$WORK/wf/keys/calib.pub" \
  --incumbent-manifest "$WORK/wf/incumbent/manifest.json" --incumbent-model "$WORK/wf/incumbent/model.json" \
  --candidate-manifest "$WORK/wf/candidate/manifest.json" --candidate-model "$WORK/wf/candidate/model.json" \
  --rollout-state "$WORK/rollout.json" --salt calib-loadtest \
  >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 300); do
  grep -q "listening on" "$WORK/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; exit 1; }
  sleep 0.1
done
URL=$(sed -n 's/^calib-serving listening on //p' "$WORK/server.out")
case "$URL" in
  http://127.0.0.1:*) ;;
  *) echo "loadtest.sh: the service did not start on 127.0.0.1" >&2; cat "$WORK/server.err" >&2; exit 1 ;;
esac

cat >"$WORK/calibrate.lua" <<'LUA'
-- 1000 request bodies of 50 scores each (fixed seed), cycled; 1000 keys.
local bodies, n = {}, 0
local classes = { "navigational", "informational", "transactional" }
function init(args)
  math.randomseed(42)
  for i = 1, 1000 do
    local s = {}
    for j = 1, 50 do s[j] = string.format("%.6f", math.random()) end
    bodies[i] = string.format('{"key":"repo:%d","class":"%s","scores":[%s]}', i, classes[i % 3 + 1], table.concat(s, ","))
  end
end
function request()
  n = n % #bodies + 1
  return wrk.format("POST", "/calibrate", { ["Content-Type"] = "application/json" }, bodies[n])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_s":%.3f,"non_2xx":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"p999_us":%.1f,"max_us":%.1f,"mean_us":%.1f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
LUA

timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 2s \
  -s "$WORK/calibrate.lua" "$URL/calibrate" >"$WORK/wrk.txt"

METRICS_URL="$URL/metrics" RESULT_DIR="$CARGO_TARGET_DIR/loadtest" WRK_OUT="$WORK/wrk.txt" \
SMOKE=$SMOKE CONNECTIONS=$CONNECTIONS WRK_THREADS=$WRK_THREADS WORKERS=$WORKERS python3 - <<'PY'
import json, os, platform, subprocess, sys, time, urllib.request
line = next(l for l in open(os.environ["WRK_OUT"]) if l.startswith("RESULT "))
r = json.loads(line[len("RESULT "):])
metrics = urllib.request.urlopen(os.environ["METRICS_URL"], timeout=10).read().decode()
served = sum(float(l.split()[-1]) for l in metrics.splitlines()
             if l.startswith("calib_serving_requests_total{") and 'result="ok"' in l)
# The service's own view: its latency histogram (from the body's arrival:
# parse, route, calibrate, encode; no network, no upload), summed over both calibrators, as bucket bounds.
buckets = {}
for l in metrics.splitlines():
    if l.startswith("calib_serving_request_duration_seconds_bucket{") and 'calibrator="none"' not in l:
        le = l.split('le="')[1].split('"')[0]
        buckets[le] = buckets.get(le, 0.0) + float(l.split()[-1])
edges = sorted(((float("inf") if k == "+Inf" else float(k)), v) for k, v in buckets.items())
def in_service(q):
    total = edges[-1][1]
    return next(le for le, c in edges if c >= q * total) * 1e6
r["in_service_p99_us_at_most"], r["in_service_p999_us_at_most"] = in_service(0.99), in_service(0.999)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
r.update({
    "date": time.strftime("%Y-%m-%d", time.gmtime()),
    "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
    "connections": int(os.environ["CONNECTIONS"]), "wrk_threads": int(os.environ["WRK_THREADS"]),
    "server_workers": int(os.environ["WORKERS"]), "scores_per_request": 50,
    "throughput_rps": r["requests"] / r["duration_s"], "server_counted_ok": served,
    "p99_below_1ms": r["p99_us"] < 1000.0,
})
os.makedirs(os.environ["RESULT_DIR"], exist_ok=True)
name = "smoke.json" if os.environ["SMOKE"] == "1" else "result.json"
json.dump(r, open(os.path.join(os.environ["RESULT_DIR"], name), "w"), indent=2)
print(f"load test{' (smoke, debug build: not the figures to quote)' if os.environ['SMOKE'] == '1' else ''} {r['date']} on {r['machine']}")
print(f"  wrk -t{r['wrk_threads']} -c{r['connections']} for {r['duration_s']:.1f} s, server with {r['server_workers']} worker(s), 50 scores per request")
print(f"  {r['requests']} requests, {r['throughput_rps']:.0f} req/s; non-2xx {r['non_2xx']}, socket errors {r['socket_errors']}, timeouts {r['timeouts']}")
print(f"  latency p50 {r['p50_us']:.0f} µs, p90 {r['p90_us']:.0f} µs, p99 {r['p99_us']:.0f} µs, p99.9 {r['p999_us']:.0f} µs, max {r['max_us']:.0f} µs")
print(f"  in the service (its histogram): p99 ≤ {r['in_service_p99_us_at_most']:.0f} µs, p99.9 ≤ {r['in_service_p999_us_at_most']:.0f} µs")
print(f"  p99 below 1 ms: {'yes' if r['p99_below_1ms'] else 'NO'}")
if os.environ["SMOKE"] == "1":
    bad = r["non_2xx"] + r["socket_errors"] + r["timeouts"]
    if r["requests"] == 0 or bad or served < r["requests"]:
        sys.exit(f"loadtest smoke: {bad} failed of {r['requests']} requests (server counted {served:.0f} ok)")
    print("loadtest smoke: every request succeeded")
PY
