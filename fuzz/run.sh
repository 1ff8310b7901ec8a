#!/usr/bin/env bash
# Builds every cargo-fuzz target of fuzz/Cargo.toml and runs each for a
# fixed, bounded time, failing on the first crash, hang or out-of-memory.
# Called by scripts/test.sh under CI=true; run it by hand with any budget:
#   fuzz/run.sh                         # every target, 20 s each
#   CALIB_FUZZ_SECONDS=300 fuzz/run.sh csv parquet
#
# Bounds (each target, each run): CALIB_FUZZ_SECONDS of fuzzing (default
# 20), at most CALIB_FUZZ_RSS_MB of resident memory (default 2048; the
# process is killed and the run fails above it), one input at most
# CALIB_FUZZ_TIMEOUT seconds (default 10: a slower input is a hang), and one
# allocation at most the same as the RSS limit (libFuzzer's default).
#
# The committed corpus (fuzz/corpus/<target>/) is only read: new inputs go
# to a scratch directory, so a run leaves the work tree clean. A crash is
# written to fuzz/artifacts/<target>/ (git-ignored); keep it as a
# regression case by copying it into fuzz/corpus/<target>/crash-<what>
# (replayed by `cargo test`, tests/tests/fuzz_corpus.rs) and fixing it.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${CALIB_FUZZ_SECONDS:-20}
RSS_MB=${CALIB_FUZZ_RSS_MB:-2048}
TIMEOUT=${CALIB_FUZZ_TIMEOUT:-10}
# Under the shared target dir, apart from the workspace's own builds (the
# targets are built with nightly and instrumentation).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/../target}/fuzz"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^calib-fuzz$')
fi

start=$(date +%s)
cargo +nightly fuzz build
echo "fuzz targets built in $(($(date +%s) - start)) s"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
  echo "--- fuzz $t: ${SECONDS_EACH} s, rss <= ${RSS_MB} MB, input <= ${TIMEOUT} s"
  mkdir -p "$scratch/$t" "artifacts/$t"
  cargo +nightly fuzz run "$t" "$scratch/$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>"$scratch/$t.log" || {
    tail -40 "$scratch/$t.log"
    echo "fuzz target $t failed: see fuzz/artifacts/$t/" >&2
    exit 1
  }
  grep -E '^stat::number_of_executed_units|^Done' "$scratch/$t.log" || true
done
echo "fuzzed ${#targets[@]} targets in $(($(date +%s) - start)) s"
