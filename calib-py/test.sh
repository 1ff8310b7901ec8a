#!/usr/bin/env bash
# Builds calib's Python wheel and runs its test suite. Works from a clean
# clone and is idempotent; a re-run with nothing changed only re-checks:
#   1. the venv (.venv) with the pinned tools of scripts/requirements-dev.txt
#      (maturin, pytest, mypy, matplotlib, scikit-learn, ...), created or
#      updated when that file changed (the same stamp as scripts/test.sh);
#   2. cargo fmt --check and clippy -D warnings for calib-py;
#   3. the abi3 wheel (maturin build --release), installed into the venv;
#   4. pytest (calib-py/tests): scikit-learn's contract and estimator checks,
#      the conformance and parity vectors (writing target/parity/python.json),
#      stubs against the built module, the README's Python snippet.
# Environment: CARGO_TARGET_DIR (default: <repo>/target).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
VENV="$ROOT/.venv"

step() { printf '\n==> calib-py: %s\n' "$*"; }

step "python tools (.venv)"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s scripts/requirements-dev.txt "$VENV/.calib-requirements"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-dev.txt
  cp scripts/requirements-dev.txt "$VENV/.calib-requirements"
fi

step "cargo fmt --check, clippy -D warnings"
cargo fmt -p calib-py -- --check
# --no-deps: lint calib-py only (the workspace-wide clippy of scripts/test.sh lints the core).
cargo clippy -p calib-py --all-targets --locked --no-deps -- -D warnings

step "wheel (maturin build --release)"
WHEELS="$CARGO_TARGET_DIR/wheels/calib-py"
rm -rf "$WHEELS"
(cd calib-py && "$VENV/bin/maturin" build --release --locked --strip --quiet \
  --interpreter "$VENV/bin/python" --out "$WHEELS")
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$WHEELS"/calib-*.whl

step "pytest"
# Run from calib-py/ so `import calib` is the installed wheel, not the
# python/ source tree.
cd calib-py
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests
