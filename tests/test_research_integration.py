"""Integration: `scent research` with the embedded model on the real PostgreSQL docs (the README's example)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import scent

pytestmark = pytest.mark.integration

METHODS = ["auth-trust.html", "auth-password.html", "gssapi-auth.html", "sspi-auth.html", "auth-ident.html",
           "auth-peer.html", "auth-ldap.html", "auth-radius.html", "auth-cert.html", "auth-pam.html", "auth-bsd.html"]


@pytest.fixture(scope="module")
def pg_index(pg_docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("pg-research") / "idx"
    scent("index", pg_docs, "--index", index, "-q", "--no-vectors")
    return index


def test_the_readme_example_covers_most_authentication_methods(pg_index: Path, tmp_path: Path):
    proc = scent("research", "How does PostgreSQL authenticate clients?", "--index", pg_index, "--format", "json",
                 "--trace", tmp_path / "t.jsonl", timeout=900)
    report = json.loads(proc.stdout)
    cited = {r["path"] for r in report["references"]}
    assert len(cited & set(METHODS)) >= 8, cited  # most of the chapter's methods, each from its own page
    assert report["counts"]["passages_cited"] >= 8 and report["counts"]["sources_cited"] >= 4
    claims = [c for s in report["sections"] for c in s["claims"]] + report["summary"]
    assert claims and all(c["refs"] for c in claims)  # every claim carries a citation
    assert all(" ".join(r["quote"].split()) in " ".join(r["passage"].split()) for r in report["references"])
    assert "outline" in (tmp_path / "t.jsonl").read_text()
