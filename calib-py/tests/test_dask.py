"""calib.dask on a real distributed.LocalCluster with 2 worker processes: the
distributed fit equals the in-memory fit (bitwise for unweighted 0/1
labels), and evaluate/apply agree with calib.evaluate / Model.apply."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import pytest

import calib

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
import calib.dask  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _data(n: int = 6000, seed: int = 3) -> Any:
    rng = np.random.default_rng(seed)
    score = np.round(rng.normal(size=n), 3)
    label = (rng.random(n) < 1 / (1 + np.exp(-2 * score))).astype(np.float64)
    weight = rng.uniform(0.1, 3.0, size=n)
    cls = rng.choice(["web", "news", "shop"], size=n, p=[0.6, 0.3, 0.1])
    return pd.DataFrame({"score": score, "label": label, "w": weight, "intent": cls})


def test_fit_equals_in_memory_fit_bitwise(client: Any) -> None:
    pdf = _data()
    # 11 partitions with split_every=3: a tree of three levels.
    ddf = dd.from_pandas(pdf, npartitions=11)
    model = calib.dask.fit(ddf, cls="intent", min_class_samples=500, split_every=3)
    expect = calib.fit_model(pdf["score"], pdf["label"], None, list(pdf["intent"]), min_class_samples=500)
    assert model.to_json(False) == expect.to_json(False)
    strict = calib.dask.fit(ddf, strict=True)
    assert strict.to_json(False) == calib.fit_model(pdf["score"], pdf["label"], strict=True).to_json(False)


def test_weighted_fit_is_close(client: Any) -> None:
    pdf = _data(seed=4)
    got = calib.dask.fit(dd.from_pandas(pdf, npartitions=4), weight="w")
    expect = calib.fit_model(pdf["score"], pdf["label"], pdf["w"])
    grid = np.linspace(-4, 4, 2001)
    np.testing.assert_allclose(got.apply(grid), expect.apply(grid), rtol=1e-12, atol=1e-12)


def test_evaluate_and_apply(client: Any) -> None:
    pdf = _data(seed=5)
    ddf = dd.from_pandas(pdf, npartitions=5)
    model = calib.fit_model(pdf["score"], pdf["label"], None, list(pdf["intent"]), min_class_samples=500)
    probs = model.apply(pdf["score"].to_numpy(), list(pdf["intent"]))
    got = calib.dask.evaluate(ddf, model, weight="w", cls="intent", n_bins=10)
    expect = calib.evaluate(probs, pdf["label"].to_numpy(), pdf["w"].to_numpy(), n_bins=10)
    for k in expect:
        assert got[k] == pytest.approx(expect[k], rel=1e-12, abs=1e-14), k
    scored = calib.dask.apply(ddf, model, cls="intent").compute()
    np.testing.assert_array_equal(scored["calibrated"].to_numpy(), probs)


def test_readme_dask_example_runs(client: Any) -> None:
    # Last in this module: the snippet starts (and closes) its own cluster.
    from conftest import ROOT
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Scaling out: Spark and Dask", 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```python\n(.*?)```", section, flags=re.S) if "calib.dask" in b]
    assert blocks, "README.md has no Dask example under 'Scaling out: Spark and Dask'"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
