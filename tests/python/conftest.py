"""Shared fixtures: the hand-worked data files and the locations of the built
artifacts (the C ABI library and the CLI) for the cross-surface tests."""

from __future__ import annotations

import math
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _number(text: str) -> float:
    return math.nan if text == "nan" else float(text)


def _tsv_rows(name: str) -> list[list[str]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows[1:]  # drop the header row


def health_cases() -> list[dict]:
    cases = []
    for c in _tsv_rows("health_cases.tsv"):
        assert len(c) == 11, c
        inputs = {}
        for pair in c[2].split(";"):
            name, value = pair.split("=")
            inputs[name] = _number(value)
        has_previous = c[3] != "-"
        cases.append(
            dict(
                name=c[0], model=c[1], inputs=inputs,
                previous=_number(c[3]) if has_previous else None,
                score=_number(c[4]), band=c[5], coverage=_number(c[6]),
                weakest=None if c[7] == "-" else c[7],
                delta=_number(c[8]) if has_previous else None,
                band_change=int(c[9]) if has_previous else None,
                why=c[10],
            )
        )
    return cases


def invalid_models() -> list[dict]:
    return [dict(name=c[0], message=c[1], json=c[2]) for c in _tsv_rows("invalid_models.tsv")]


def model_json(name: str) -> str | None:
    return None if name == "default" else (DATA / "models" / name).read_text(encoding="utf-8")


def same(a: float, b: float, tol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


def _build_artifact(relative: str) -> pathlib.Path:
    """A file from the CMake build tree. tests/run_all.sh sets FV_BUILD_DIR and
    FV_REQUIRE_BUILD=1, so there a missing artifact fails instead of skipping."""
    build = pathlib.Path(os.environ.get("FV_BUILD_DIR", ROOT / "build"))
    path = build / relative
    if not path.exists():
        if os.environ.get("FV_REQUIRE_BUILD") == "1":
            pytest.fail(f"{path} is missing; build the project first")
        pytest.skip(f"{path} not built (run tests/run_all.sh)")
    return path


@pytest.fixture(scope="session")
def c_library_path() -> pathlib.Path:
    return _build_artifact("libfirstvalue_c.so")


@pytest.fixture(scope="session")
def cli_path() -> pathlib.Path:
    return _build_artifact("firstvalue")
