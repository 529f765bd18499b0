from scent.config import ChunkConfig
from scent.ingest.chunk import chunk, sentence_spans
from scent.ingest.extracted import Block, Extracted, TextBuilder


def _doc(paragraphs: list[tuple[str, tuple[str, ...]]]) -> Extracted:
    b = TextBuilder()
    for text, headings in paragraphs:
        b.add(text, headings)
    return Extracted(b.text(), "t", b.blocks)


def _sentences(n: int, words: int = 10, tag: str = "s") -> str:
    return " ".join(" ".join([f"{tag}{i}w{j}" for j in range(words - 1)]).capitalize() + " end." for i in range(n))


def test_sentence_spans_keep_closing_quotes_and_abbreviations():
    text = 'He said "Hi." Then he left. See e.g. the docs. Version 3.5 is out! Why?'
    assert [text[s:e] for s, e in sentence_spans(text, 0, len(text))] == [
        'He said "Hi."', "Then he left.", "See e.g. the docs.", "Version 3.5 is out!", "Why?"]


def test_offsets_map_back_to_source_exactly():
    doc = _doc([(_sentences(30), ("A",)), ("Short para.", ("A",)), (_sentences(5), ("A", "B"))])
    spans = chunk(doc, ChunkConfig(target_words=60, max_words=100))
    assert len(spans) > 3
    for s in spans:
        piece = doc.text[s.start : s.end]
        assert piece == piece.strip() and piece
        assert len(piece.split()) == s.words <= 100
    # every word of the document is in exactly one passage, in order
    assert " ".join(doc.text[s.start : s.end] for s in spans).split() == doc.text.split()


def test_passages_end_at_sentence_boundaries():
    doc = _doc([(_sentences(40), ())])
    spans = chunk(doc, ChunkConfig(target_words=50, max_words=80))
    assert all(doc.text[s.start : s.end].endswith("end.") for s in spans)
    assert all(50 <= s.words <= 80 for s in spans[:-1])


def test_never_crosses_a_section_and_keeps_heading_path():
    doc = _doc([("Alpha one.", ("Intro",)), ("Beta two.", ("Intro", "Details")), ("Gamma three.", ("Other",))])
    spans = chunk(doc)
    assert [s.headings for s in spans] == [("Intro",), ("Intro", "Details"), ("Other",)]


def test_small_paragraphs_of_a_section_are_merged():
    doc = _doc([(f"Paragraph {i} has a few words here.", ("S",)) for i in range(10)])
    spans = chunk(doc, ChunkConfig(target_words=30, max_words=100))
    assert len(spans) == 2 and spans[0].words >= 30


def test_overlong_sentence_is_cut_at_whitespace():
    text = " ".join(f"tok{i}" for i in range(700))
    doc = Extracted(text, "t", [Block(0, len(text))])
    spans = chunk(doc, ChunkConfig(target_words=100, max_words=300))
    assert [s.words for s in spans] == [300, 300, 100]
    assert all(not doc.text[s.start : s.end].startswith(" ") for s in spans)


def test_pages_are_separate_sections():
    b = TextBuilder()
    b.add("Page one text.", page=1)
    b.add("Page two text.", page=2)
    spans = chunk(Extracted(b.text(), "t", b.blocks))
    assert [s.page for s in spans] == [1, 2]
