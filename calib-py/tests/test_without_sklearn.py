"""Without scikit-learn installed, the estimators still work (stand-in base
classes: get_params/set_params, repr, NotFittedError, pickling)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_estimators_work_without_scikit_learn() -> None:
    code = """
        import sys, pickle
        sys.modules["sklearn"] = None  # as if it were not installed
        import numpy as np, calib
        from calib import _compat
        assert not _compat.SKLEARN_INSTALLED
        s = np.linspace(0, 1, 200); y = (np.arange(200) % 3 == 0).astype(float)
        for cls in (calib.IsotonicCalibrator, calib.HistogramCalibrator, calib.ClassCalibrator):
            est = cls()
            try:
                est.predict([0.5])
                raise SystemExit("no NotFittedError")
            except calib.NotFittedError as e:
                assert isinstance(e, ValueError) and isinstance(e, AttributeError)
            est.fit(s, y)
            again = pickle.loads(pickle.dumps(est))
            assert again.predict(s).tobytes() == est.predict(s).tobytes()
        est = calib.IsotonicCalibrator(strict=True)
        assert est.get_params()["strict"] is True
        assert est.set_params(out_of_bounds="nan") is est and est.out_of_bounds == "nan"
        assert repr(est) == "IsotonicCalibrator(out_of_bounds='nan', strict=True)", repr(est)
        assert est.fit_transform(s, y).shape == (200,)
        try:
            est.set_params(nope=1)
            raise SystemExit("set_params accepted an unknown name")
        except ValueError:
            pass
        print("ok")
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stdout + out.stderr


def test_import_calib_does_not_import_scikit_learn_until_an_estimator_is_used() -> None:
    # Serving code and Spark/Dask workers use calib.Model and FitSketch only;
    # they must not pay scikit-learn's (and SciPy's) import time and memory.
    code = """
        import sys
        import calib, calib.spark, calib.dask
        assert "sklearn" not in sys.modules, "import calib imported scikit-learn"
        m = calib.fit_model([0.1, 0.5, 0.9], [0.0, 1.0, 1.0])
        assert m.apply([0.9]).tolist() == [1.0]
        assert "sklearn" not in sys.modules, "calib.Model imported scikit-learn"
        assert "IsotonicCalibrator" in dir(calib)
        est = calib.IsotonicCalibrator
        assert "sklearn" in sys.modules, "with scikit-learn installed the estimators derive from it"
        from sklearn.base import BaseEstimator
        assert issubclass(est, BaseEstimator)
        assert calib.NotFittedError.__module__.startswith("sklearn")
        try:
            calib.NoSuchThing
            raise SystemExit("no AttributeError")
        except AttributeError as e:
            assert "NoSuchThing" in str(e)
        print("ok")
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
