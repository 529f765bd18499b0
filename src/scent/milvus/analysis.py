"""English stems before Milvus's analyzer (`index.milvus.stem`, on by default).

Milvus Lite's analyzers know no stemmer (only `standard` lower-cased words and `jieba`), and BM25 without stems
lost 0.04 nDCG@10 on DBpedia-5k against the embedded index (BENCHMARKS.md, "Scale-out"). With `stem`, the text
Milvus's analyzer reads — and every query — is first put through the embedded index's own tokenizer chain
(tantivy's `en_stem`: simple tokenizer, tokens over 40 characters dropped, lower case, Snowball English
stemmer) and written as its stems joined by spaces; Milvus's `standard` tokenizer splits that back into the same
tokens and its BM25 function scores them. Both backends then rank by BM25 over the same terms. On a Milvus server
an `english` analyzer does the stemming inside Milvus instead (`stem = false`, docs/scale-out.md).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    import tantivy

    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build())


def stems(text: str) -> str:
    """The en_stem tokens of `text`, joined by spaces."""
    return " ".join(_analyzer().analyze(text))
