"""calib's exceptions.

Every failure reported by calib's Rust core is a :class:`CalibError`, a
``ValueError`` carrying the core's stable code, so callers can branch on
``err.code`` (``"label_out_of_range"``, ``"out_of_bounds"``, ...) rather than
on message text. Inputs that calib cannot convert to numbers are refused with
:class:`InputTypeError`, a ``TypeError`` (that is also a ``ValueError``, as
scikit-learn's input checks expect).
"""

from __future__ import annotations

from typing import Optional


class CalibError(ValueError):
    """An error reported by calib's core.

    Attributes:
        message: the core's one-line message, naming the argument, position
            and value (``"label 1.5 at index 7 of labels is outside [0, 1]"``).
        code: the core's stable error code (``calib_core::Error::code()``),
            e.g. ``"label_out_of_range"``.
        kind: the same as ``code``.
        what: the argument or item involved (``"labels"``), or ``""``.
        index: the 0-based position of the offending element, or ``None``.
        value: the offending value, or ``None``.
    """

    message: str
    code: str
    kind: str
    what: str
    index: Optional[int]
    value: Optional[float]

    def __init__(
        self,
        message: str,
        code: str = "",
        what: str = "",
        index: Optional[int] = None,
        value: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = code
        self.what = what
        self.index = index
        self.value = value

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.message, self.code, self.what, self.index, self.value))


class ManifestError(CalibError):
    """A manifest, key or trust policy refused by calib's core.

    ``code`` is one of the manifest codes (``"bad_signature"``,
    ``"expired"``, ``"rollback"``, ``"fingerprint_mismatch"``, ...).
    """


class InputTypeError(TypeError, ValueError):
    """An input that is not (convertible to) an array of real numbers."""


# Shown (and pickled) as calib.CalibError etc.: the names users import.
for _cls in (CalibError, ManifestError, InputTypeError):
    _cls.__module__ = "calib"
