"""Fuzzed documents of every format are read or reported, never raised, in bounded time (issue 11, item 2).

Deterministic (derandomized, no example database) and bounded to a few seconds so that it runs in `make test`;
bench/fuzz_loaders.py runs the same mutators for as long as it is given. Inputs the fuzzers found are kept in
tests/data/fuzz/ and replayed here.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loader_fuzz import FORMATS, check, mutate

FOUND = Path(__file__).parent / "data" / "fuzz"
FAST = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(autouse=True)
def _quiet_parsers():
    logging.disable(logging.CRITICAL)  # pypdf logs every repair it attempts, some as errors
    yield
    logging.disable(logging.NOTSET)


@FAST
@given(fmt=st.sampled_from(FORMATS), rng=st.randoms(use_true_random=False), rounds=st.integers(1, 3))
def test_a_mutated_document_is_read_or_reported_in_bounded_time(folder, fmt, rng, rounds):  # type: ignore[no-untyped-def]
    outcome = check(mutate(rng, fmt, rounds), fmt, folder, time_limit=10.0)
    assert outcome.result == "ok" or outcome.result.islower()  # a reason code for the ingest report


@pytest.mark.parametrize("path", sorted(FOUND.iterdir()), ids=lambda p: p.name)
def test_inputs_the_fuzzer_found_are_reported(folder: Path, path: Path):
    """bench/fuzz_loaders.py --seconds 480 --seed 1 found these: each raised from inside its parser (pypdf's
    LimitReachedError, OverflowError, AttributeError; python-docx's AttributeError, ValueError; lxml's
    ValueError) and stopped the whole `scent index` run."""
    fmt = path.suffix.lstrip(".")
    outcome = check(path.read_bytes(), fmt, folder)
    assert outcome.result == f"corrupt-{fmt}" and outcome.unexpected is not None


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(name=st.binary(min_size=1, max_size=40).filter(lambda b: b"\x00" not in b))
def test_display_paths_are_one_to_one_with_file_names(name: bytes):
    from scent.ingest.walk import display_path, fs_path

    shown = display_path(os.fsdecode(name))
    shown.encode("utf-8")  # always storable text
    assert os.fsencode(fs_path(shown)) == name
