"""Type stubs of calib's extension module (checked against the built module
by mypy's stubtest in calib-py/tests/test_stubs.py)."""

import os
from typing import Any, Dict, Optional, Sequence, Tuple, Union, final

import numpy as np
import numpy.typing as npt

__version__: str
__all__ = [
    "__version__",
    "Model",
    "_FittedMap",
    "FitSketch",
    "fit_model",
    "_fit_isotonic",
    "_fit_histogram",
    "ece",
    "aece",
    "mce",
    "dece",
    "brier",
    "log_loss",
    "evaluate",
    "_reliability_bins",
    "tau",
    "bootstrap_c_hat",
    "fingerprint",
    "bucket",
    "included",
    "PublicKey",
    "SecretKey",
    "TrustPolicy",
    "TrustState",
    "VerifiedManifest",
    "verify_manifest",
    "load_manifest",
    "sign_manifest",
]

_ArrayLike = npt.ArrayLike
_Path = Union[str, os.PathLike[str]]
_Classes = Union[None, str, Sequence[str]]

@final
class Model:
    """A calibration model: a global map plus one map per class."""

    @staticmethod
    def from_json(text: str) -> Model: ...
    @staticmethod
    def load(path: _Path) -> Model: ...
    def to_json(self, pretty: bool = False) -> str: ...
    def save(self, path: _Path) -> None: ...
    def apply(self, scores: _ArrayLike, classes: _Classes = None) -> np.ndarray: ...
    def apply_counted(self, scores: _ArrayLike, classes: _Classes = None) -> Tuple[np.ndarray, Dict[str, Any]]: ...
    def apply_one(self, score: float, cls: Optional[str] = None) -> float: ...
    @property
    def classes(self) -> list[str]: ...
    @property
    def method(self) -> str: ...
    @property
    def strict(self) -> bool: ...
    @property
    def out_of_bounds(self) -> str: ...
    @property
    def non_finite(self) -> Union[str, float]: ...
    @property
    def epsilon(self) -> float: ...
    def map_data(self, cls: Optional[str] = None) -> Dict[str, Any]: ...
    def digest(self) -> str: ...
    def canonical_json(self) -> bytes: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Tuple[Any, Tuple[str]]: ...

@final
class _FittedMap:
    def apply(self, scores: _ArrayLike) -> np.ndarray: ...
    def apply_one(self, score: float) -> float: ...
    @property
    def x(self) -> np.ndarray: ...
    @property
    def y(self) -> np.ndarray: ...
    @property
    def increasing(self) -> bool: ...
    @property
    def merged_bins(self) -> int: ...
    def model(self) -> Model: ...
    @staticmethod
    def _from_state(state: str) -> _FittedMap: ...
    def _state(self) -> str: ...
    def __reduce__(self) -> Tuple[Any, Tuple[str]]: ...

@final
class FitSketch:
    @staticmethod
    def from_arrays(
        score: _ArrayLike,
        label: _ArrayLike,
        weight: Optional[_ArrayLike] = None,
        cls: Optional[Sequence[str]] = None,
        *,
        quantize: Union[None, str, float] = None,
    ) -> FitSketch: ...
    @staticmethod
    def empty(*, quantize: Union[None, str, float] = None, has_classes: bool = False) -> FitSketch: ...
    def merge(self, other: FitSketch) -> FitSketch: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> FitSketch: ...
    @property
    def rows(self) -> int: ...
    @property
    def cells(self) -> int: ...
    def chunk_due(self, held: int, min_rows: Optional[int] = None) -> bool: ...
    @property
    def n_distinct(self) -> int: ...
    @property
    def classes(self) -> list[str]: ...
    @property
    def has_classes(self) -> bool: ...
    @property
    def quantize(self) -> Union[None, str, float]: ...
    def fit_model(
        self,
        *,
        increasing: Union[None, bool, str] = None,
        strict: bool = False,
        y_min: Optional[float] = None,
        y_max: Optional[float] = None,
        min_class_samples: int = 1000,
        out_of_bounds: str = "clip",
        non_finite: Union[None, str, float] = None,
        epsilon: float = 0.0,
    ) -> Model: ...
    def evaluate(self, n_bins: int = 15) -> Dict[str, float]: ...
    def bootstrap_c_hat(
        self,
        model: Model,
        cls: Optional[str] = None,
        *,
        resamples: int = 200,
        n_bins: int = 15,
        seed: int = 13242800,
        min_samples: int = 10000,
    ) -> Tuple[float, np.ndarray]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __reduce__(self) -> Tuple[Any, Tuple[bytes]]: ...

def fit_model(
    scores: _ArrayLike,
    labels: _ArrayLike,
    sample_weight: Optional[_ArrayLike] = None,
    classes: Optional[Sequence[str]] = None,
    *,
    method: str = "isotonic",
    increasing: Union[None, bool, str] = None,
    strict: bool = False,
    y_min: Optional[float] = None,
    y_max: Optional[float] = None,
    n_bins: Union[None, int, str] = None,
    strategy: str = "equal_mass",
    min_samples_per_bin: int = 1,
    min_class_samples: int = 1000,
    out_of_bounds: str = "clip",
    non_finite: Union[None, str, float] = None,
    epsilon: float = 0.0,
) -> Model: ...
def _fit_isotonic(
    x: _ArrayLike,
    y: _ArrayLike,
    sample_weight: Optional[_ArrayLike] = None,
    *,
    increasing: Union[bool, str],
    y_min: Optional[float] = None,
    y_max: Optional[float] = None,
    strict: bool = False,
    out_of_bounds: str = "clip",
) -> _FittedMap: ...
def _fit_histogram(
    x: _ArrayLike,
    y: _ArrayLike,
    sample_weight: Optional[_ArrayLike] = None,
    *,
    n_bins: Union[None, int, str] = None,
    strategy: str = "equal_mass",
    min_samples_per_bin: int = 1,
    out_of_bounds: str = "clip",
) -> _FittedMap: ...
def ece(probs: _ArrayLike, labels: _ArrayLike, sample_weight: Optional[_ArrayLike] = None, n_bins: int = 15) -> float: ...
def aece(probs: _ArrayLike, labels: _ArrayLike, sample_weight: Optional[_ArrayLike] = None, n_bins: int = 15) -> float: ...
def mce(probs: _ArrayLike, labels: _ArrayLike, sample_weight: Optional[_ArrayLike] = None, n_bins: int = 15) -> float: ...
def dece(probs: _ArrayLike, labels: _ArrayLike, sample_weight: Optional[_ArrayLike] = None, n_bins: int = 15) -> float: ...
def brier(probs: _ArrayLike, labels: _ArrayLike, sample_weight: Optional[_ArrayLike] = None) -> float: ...
def log_loss(probs: _ArrayLike, labels: _ArrayLike, sample_weight: Optional[_ArrayLike] = None) -> float: ...
def evaluate(
    probs: _ArrayLike, labels: _ArrayLike, sample_weight: Optional[_ArrayLike] = None, n_bins: int = 15
) -> Dict[str, float]: ...
def _reliability_bins(
    probs: _ArrayLike,
    labels: _ArrayLike,
    sample_weight: Optional[_ArrayLike] = None,
    n_bins: int = 15,
    strategy: str = "equal_width",
) -> Dict[str, np.ndarray]: ...
def tau(n: int, n_bins: int, c_hat: float) -> float: ...
def bootstrap_c_hat(
    calibrated: _ArrayLike,
    *,
    resamples: int = 200,
    n_bins: int = 15,
    seed: int = 13242800,
    min_samples: int = 10000,
) -> Tuple[float, np.ndarray]: ...
def fingerprint() -> str: ...
def bucket(salt: str, key: str) -> int: ...
def included(salt: str, key: str, percent: int) -> bool: ...

_Bytes = Union[bytes, bytearray, memoryview, str]

@final
class PublicKey:
    """An Ed25519 public key that verifies manifests."""

    @staticmethod
    def from_file_text(text: str) -> PublicKey: ...
    @staticmethod
    def load(path: _Path) -> PublicKey: ...
    @staticmethod
    def from_bytes(raw: _Bytes) -> PublicKey: ...
    def to_bytes(self) -> bytes: ...
    def to_file_text(self) -> str: ...
    @property
    def key_id(self) -> str: ...

@final
class SecretKey:
    """An Ed25519 secret key that signs manifests."""

    @staticmethod
    def generate() -> SecretKey: ...
    @staticmethod
    def from_seed(seed_bytes: _Bytes) -> SecretKey: ...
    @staticmethod
    def from_file_text(text: str) -> SecretKey: ...
    @staticmethod
    def load(path: _Path) -> SecretKey: ...
    def to_file_text(self) -> str: ...
    def public_key(self) -> PublicKey: ...

@final
class TrustPolicy:
    """Which keys a loader trusts, and how many must sign."""

    def __new__(cls, keys: Sequence[PublicKey], threshold: int = 1, require_gate_report: bool = True) -> TrustPolicy: ...
    @property
    def threshold(self) -> int: ...
    @property
    def require_gate_report(self) -> bool: ...
    @property
    def key_ids(self) -> list[str]: ...

@final
class TrustState:
    """The last trusted manifest version (rollback protection)."""

    def __new__(cls) -> TrustState: ...
    @staticmethod
    def from_json(text: str) -> TrustState: ...
    @staticmethod
    def load(path: _Path) -> TrustState: ...
    def to_json(self) -> str: ...
    def save(self, path: _Path) -> None: ...
    @property
    def version(self) -> int: ...
    @property
    def manifest_sha256(self) -> Optional[str]: ...

@final
class VerifiedManifest:
    """A manifest verified by calib's core."""

    @property
    def version(self) -> int: ...
    @property
    def expires(self) -> str: ...
    @property
    def digest(self) -> str: ...
    @property
    def model_digest(self) -> str: ...
    @property
    def wasm_digest(self) -> Optional[str]: ...
    @property
    def signers(self) -> list[str]: ...
    def statement_json(self) -> str: ...

def verify_manifest(envelope: _Bytes, policy: TrustPolicy, *, now: Optional[str] = None) -> VerifiedManifest: ...
def load_manifest(
    envelope: _Bytes,
    model: _Bytes,
    policy: TrustPolicy,
    state: Optional[TrustState] = None,
    *,
    now: Optional[str] = None,
) -> Tuple[Model, VerifiedManifest]: ...
def sign_manifest(
    model: Model,
    keys: Sequence[SecretKey],
    *,
    version: int,
    expires: str = "90d",
    parent: Optional[str] = None,
    wasm: Optional[_Bytes] = None,
    now: Optional[str] = None,
) -> bytes: ...
