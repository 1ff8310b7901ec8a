"""calib.spark on a real local[2] SparkSession: the distributed fit equals the
in-memory fit (bitwise for unweighted 0/1 labels), and evaluate/apply agree
with calib.evaluate / Model.apply. One session for the whole module keeps
the run short."""

from __future__ import annotations

import os
import sys
from typing import Any, Iterator

import numpy as np
import pytest

import calib

pyspark = pytest.importorskip("pyspark")
pd = pytest.importorskip("pandas")
import calib.spark  # noqa: E402


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    # Executors' Python must be this venv's (it has calib installed).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("calib-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _data(n: int = 6000, seed: int = 3) -> Any:
    rng = np.random.default_rng(seed)
    # Rounded scores: many ties, as logged ranker scores have.
    score = np.round(rng.normal(size=n), 3)
    label = (rng.random(n) < 1 / (1 + np.exp(-2 * score))).astype(np.float64)
    weight = rng.uniform(0.1, 3.0, size=n)
    cls = rng.choice(["web", "news", "shop"], size=n, p=[0.6, 0.3, 0.1])
    return pd.DataFrame({"score": score, "label": label, "w": weight, "intent": cls})


def test_fit_equals_in_memory_fit_bitwise(spark: Any) -> None:
    pdf = _data()
    df = spark.createDataFrame(pdf).repartition(5)
    model = calib.spark.fit(df, score="score", label="label", cls="intent", min_class_samples=500, strict=False)
    expect = calib.fit_model(
        pdf["score"].to_numpy(), pdf["label"].to_numpy(), None, list(pdf["intent"]), min_class_samples=500
    )
    assert model.to_json(False) == expect.to_json(False)
    assert sorted(model.classes) == ["news", "shop", "web"]
    # Strict mode and no classes, through the same path.
    strict = calib.spark.fit(df, strict=True)
    assert strict.to_json(False) == calib.fit_model(pdf["score"], pdf["label"], strict=True).to_json(False)


def test_weighted_fit_and_quantised_fit(spark: Any) -> None:
    pdf = _data(seed=4)
    df = spark.createDataFrame(pdf).repartition(3)
    got = calib.spark.fit(df, weight="w")
    s, y, w = pdf["score"].to_numpy(), pdf["label"].to_numpy(), pdf["w"].to_numpy()
    expect = calib.fit_model(s, y, w)
    grid = np.linspace(-4, 4, 2001)
    np.testing.assert_allclose(got.apply(grid), expect.apply(grid), rtol=1e-12, atol=1e-12)
    q = calib.spark.fit(df, quantize="f32")
    rounded = s.astype(np.float32).astype(np.float64)
    assert q.to_json(False) == calib.fit_model(rounded, y).to_json(False)


def test_evaluate_and_apply(spark: Any) -> None:
    pdf = _data(seed=5)
    df = spark.createDataFrame(pdf).repartition(4)
    model = calib.fit_model(pdf["score"], pdf["label"], None, list(pdf["intent"]), min_class_samples=500)
    probs = model.apply(pdf["score"].to_numpy(), list(pdf["intent"]))
    got = calib.spark.evaluate(df, model, score="score", label="label", weight="w", cls="intent", n_bins=10)
    expect = calib.evaluate(probs, pdf["label"].to_numpy(), pdf["w"].to_numpy(), n_bins=10)
    assert got.keys() == expect.keys()
    for k in expect:
        assert got[k] == pytest.approx(expect[k], rel=1e-12, abs=1e-14), k
    scored = calib.spark.apply(df, model, score="score", cls="intent", out="calibrated").toPandas()
    again = model.apply(scored["score"].to_numpy(), list(scored["intent"]))
    np.testing.assert_array_equal(scored["calibrated"].to_numpy(), again)


def test_sketch_bytes_from_spark_merge_with_local_ones(spark: Any) -> None:
    pdf = _data(n=2000, seed=6)
    a, b = pdf.iloc[:700], pdf.iloc[700:]
    remote = calib.spark.sketch(spark.createDataFrame(a), cls="intent")
    local = calib.FitSketch.from_arrays(b["score"], b["label"], cls=list(b["intent"]))
    whole = calib.FitSketch.from_arrays(pdf["score"], pdf["label"], cls=list(pdf["intent"]))
    assert calib.FitSketch.from_bytes(remote.to_bytes()).merge(local) == whole


def test_readme_spark_example_runs(spark: Any) -> None:
    from conftest import ROOT
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Scaling out: Spark and Dask", 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```python\n(.*?)```", section, flags=re.S) if "calib.spark" in b]
    assert blocks, "README.md has no Spark example under 'Scaling out: Spark and Dask'"
    for code in blocks:
        # getOrCreate() in the snippet returns this module's local[2] session.
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})


def test_partition_chunks_merge_to_the_one_shot_sketch() -> None:
    # A partition's batches are sketched in chunks (here of >= 1000 rows, or
    # as many as the sketch has cells) and merged: the same bytes as one
    # sketch of every row, for unweighted and classed rows alike.
    from calib.spark import _Chunks

    pdf = _data(n=9000, seed=8)
    s, y = pdf["score"].to_numpy(), pdf["label"].to_numpy()
    cls = list(pdf["intent"])
    acc = _Chunks(None, True, min_rows=1000)
    flushes = 0
    for lo in range(0, len(s), 700):
        before = acc.held
        acc.add(s[lo : lo + 700], y[lo : lo + 700], None, cls[lo : lo + 700])
        flushes += acc.held < before + 700
    assert flushes >= 3, "the chunks were flushed along the way"
    whole = calib.FitSketch.from_arrays(s, y, cls=cls)
    assert acc.to_bytes() == whole.to_bytes()
