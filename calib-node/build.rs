//! napi-rs's per-platform link setup for the addon.
fn main() {
    napi_build::setup();
}
