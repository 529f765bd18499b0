"""The embedded-model catalogue: locating pip-installed GGUF parts, assembling them, refusing bad bytes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scent.llm import LLMError, catalog, load_llm

QWEN = catalog.CATALOG["qwen2.5-coder-0.5b"]


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(catalog.UnknownModelError, match=r"known models: .*qwen2\.5-coder-0\.5b"):
        catalog.get_entry("gpt-17")
    with pytest.raises(LLMError, match="unknown model 'gpt-17'"):
        load_llm("llamacpp:gpt-17")


def test_missing_distribution_says_how_to_install(monkeypatch: pytest.MonkeyPatch):
    fake = dataclasses.replace(QWEN, name="fake", distributions=("scent-no-such-model==1.0",),
                               parts=(("scent-no-such-model", "model.gguf"),), install_hint="pip install x")
    monkeypatch.setitem(catalog.CATALOG, "fake", fake)
    assert not catalog.installed("fake")
    with pytest.raises(catalog.ModelNotInstalledError, match=r"(?s)'scent-no-such-model' is missing.*pip install x"):
        catalog.resolve_gguf("fake")
    with pytest.raises(LLMError, match="not installed"):
        load_llm("llamacpp:fake")


@pytest.mark.integration
def test_default_model_assembles_once_and_verifies(tmp_path: Path):
    path = catalog.resolve_gguf(catalog.DEFAULT_MODEL, tmp_path, verify=True)
    assert path.parent == tmp_path and path.stat().st_size == QWEN.size_bytes
    mtime = path.stat().st_mtime_ns
    assert catalog.resolve_gguf(catalog.DEFAULT_MODEL, tmp_path) == path and path.stat().st_mtime_ns == mtime
    row = next(r for r in catalog.describe(tmp_path) if r["name"] == catalog.DEFAULT_MODEL)
    assert row["installed"] and row["default"] and row["path"] == str(path)


@pytest.mark.integration
def test_parts_with_the_wrong_hash_never_become_a_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    two_parts = QWEN.parts[4:]  # the two last chunks: real installed files, but not the pinned whole
    size = sum(Path(str(catalog.metadata.distribution(d).locate_file(p))).stat().st_size for d, p in two_parts)
    wrong = dataclasses.replace(QWEN, name="wrong", parts=two_parts, size_bytes=size, sha256="0" * 64)
    monkeypatch.setitem(catalog.CATALOG, "wrong", wrong)
    with pytest.raises(catalog.ModelChecksumError):
        catalog.resolve_gguf("wrong", tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial or unverified file left behind
