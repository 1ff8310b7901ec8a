#!/usr/bin/env bash
# Signed-manifest fixtures for tests/js/calib.test.mjs, made fresh by the calib CLI
# (so they never expire and always carry the current core fingerprint):
#   <target>/js/fixtures/{a,b}/calib.pub   two trusted-key candidates (calib keygen)
#   <target>/js/fixtures/model.json        a model (parity vector `strict_nan_eps`, ε = 1e-3)
#   <target>/js/fixtures/v1.json, v2.json  manifests for it, versions 1 and 2, signed by key a
#   <target>/js/fixtures/v2-b.json         version 2 with other content, signed by key b
# Every JS build's test script runs this before the suite. Takes about a second once
# calib-cli is built.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --quiet --locked -p calib-cli --bin calib
CALIB="$TARGET/debug/calib"
mkdir -p "$TARGET/js"
tmp=$(mktemp -d "$TARGET/js/fixtures.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(
  cd "$tmp"
  "$CALIB" keygen --out a >/dev/null
  "$CALIB" keygen --out b >/dev/null
  node -e '
    const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    require("fs").writeFileSync("model.json", JSON.stringify(v.models.strict_nan_eps, null, 2) + "\n");
  ' "$ROOT/tests/vectors/parity.json"
  "$CALIB" sign --model model.json --key a/calib.key --version 1 --out v1.json >/dev/null
  "$CALIB" sign --model model.json --key a/calib.key --version 2 --out v2.json >/dev/null
  # Another expiry, so its payload differs from v2.json's even when both are signed in the
  # same second (a manifest is its payload: the same payload with another signature is the
  # same manifest).
  "$CALIB" sign --model model.json --key b/calib.key --version 2 --expires 30d --out v2-b.json >/dev/null
  rm a/calib.key b/calib.key
)
rm -rf "$TARGET/js/fixtures"
mv "$tmp" "$TARGET/js/fixtures"
trap - EXIT
