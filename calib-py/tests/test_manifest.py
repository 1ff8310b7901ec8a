"""Signed manifests through the Python API: calib-core's verification and
verified loader (issue 3's trust API), refusals as calib.ManifestError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Tuple

import pytest

import calib

NOW = "2030-01-01T00:00:00Z"


def keys(n: int = 1) -> list:
    return [calib.SecretKey.from_seed(bytes([i + 1]) * 32) for i in range(n)]


def setup(ranker: Any) -> Tuple[calib.Model, bytes, calib.TrustPolicy, list]:
    s, y = ranker
    model = calib.fit_model(s, y)
    sk = keys(2)
    env = calib.sign_manifest(model, [sk[0]], version=3, expires="30d", now=NOW)
    policy = calib.TrustPolicy([sk[0].public_key()], require_gate_report=False)
    return model, env, policy, sk


def test_verify_and_load(ranker: Any, tmp_path: Path) -> None:
    model, env, policy, sk = setup(ranker)
    v = calib.verify_manifest(env, policy, now=NOW)
    assert v.version == 3 and v.expires == "2030-01-31T00:00:00Z"
    assert v.model_digest == model.digest() and v.signers == [sk[0].public_key().key_id]
    statement = json.loads(v.statement_json())
    assert statement["predicate"]["core_fingerprint"] == calib.fingerprint()
    state = calib.TrustState()
    loaded, manifest = calib.load_manifest(env, model.to_json(pretty=True), policy, state, now=NOW)
    assert loaded == model and manifest.digest == v.digest
    assert (state.version, state.manifest_sha256) == (3, v.digest)
    state.save(tmp_path / "state.json")
    assert calib.TrustState.load(tmp_path / "state.json").to_json() == state.to_json()
    assert calib.TrustState.load(tmp_path / "missing.json").version == 0


@pytest.mark.parametrize(
    "case, code",
    [
        ("tampered", "bad_signature"),
        ("untrusted", "unknown_key"),
        ("expired", "expired"),
        ("rollback", "rollback"),
        ("other-model", "subject_mismatch"),
        ("needs-gates", "gates_not_passed"),
        ("not-json", "malformed"),
    ],
)
def test_refusals_carry_the_core_code(ranker: Any, case: str, code: str) -> None:
    model, env, policy, sk = setup(ranker)
    state = calib.TrustState()
    model_bytes = model.to_json()
    now = NOW
    if case == "tampered":
        doc = json.loads(env)
        doc["payload"] = doc["payload"][:-4] + ("AAAA" if doc["payload"][-4:] != "AAAA" else "BBBB")
        env = json.dumps(doc).encode()
    elif case == "untrusted":
        policy = calib.TrustPolicy([sk[1].public_key()], require_gate_report=False)
    elif case == "expired":
        now = "2031-01-01T00:00:00Z"
    elif case == "rollback":
        state = calib.TrustState.from_json(json.dumps({"version": 4, "manifest_sha256": None}))
    elif case == "other-model":
        model_bytes = calib.fit_model([0.1, 0.9], [0.0, 1.0]).to_json()
    elif case == "needs-gates":
        policy = calib.TrustPolicy([sk[0].public_key()])
    elif case == "not-json":
        env = b"{"
    before = state.to_json()
    with pytest.raises(calib.ManifestError) as e:
        calib.load_manifest(env, model_bytes, policy, state, now=now)
    assert e.value.code == code and isinstance(e.value, calib.CalibError) and isinstance(e.value, ValueError)
    assert state.to_json() == before  # a refused manifest never advances the state


def test_keys_round_trip_and_thresholds(ranker: Any, tmp_path: Path) -> None:
    model, _, _, sk = setup(ranker)
    (tmp_path / "k.pub").write_text(sk[0].public_key().to_file_text())
    (tmp_path / "k.key").write_text(sk[0].to_file_text())
    pub = calib.PublicKey.load(tmp_path / "k.pub")
    assert pub.key_id == sk[0].public_key().key_id
    assert calib.SecretKey.load(tmp_path / "k.key").public_key().key_id == pub.key_id
    assert calib.PublicKey.from_bytes(pub.to_bytes()).key_id == pub.key_id
    both = calib.TrustPolicy([k.public_key() for k in sk], threshold=2, require_gate_report=False)
    one = calib.sign_manifest(model, [sk[0]], version=1, now=NOW)
    two = calib.sign_manifest(model, sk, version=1, now=NOW)
    with pytest.raises(calib.ManifestError) as e:
        calib.verify_manifest(one, both, now=NOW)
    assert e.value.code == "threshold_not_met"
    assert sorted(calib.verify_manifest(two, both, now=NOW).signers) == sorted(k.public_key().key_id for k in sk)
    with pytest.raises(calib.ManifestError) as e:
        calib.TrustPolicy([pub], threshold=2)
    assert e.value.code == "bad_policy"
    with pytest.raises(calib.ManifestError) as e:
        calib.PublicKey.from_file_text("{}")
    assert e.value.code == "bad_key"
    with pytest.raises(ValueError, match="32 bytes"):
        calib.SecretKey.from_seed(b"short")
    with pytest.raises(ValueError, match="RFC 3339"):
        calib.verify_manifest(one, both, now="yesterday")
