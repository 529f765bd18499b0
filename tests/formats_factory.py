"""Issue 23's mixed-format folder, written by each format's own library (or the standard library): every file
holds one phrase found in no other file, returned with the file name."""

from __future__ import annotations

import json
from pathlib import Path


def _xlsx(path: Path, phrase: str) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["item", "note"])
    sheet.append(["boats", phrase])
    book.save(path)


def _pptx(path: Path, phrase: str) -> None:
    from pptx import Presentation

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Opening"
    first.placeholders[1].text = "An opening slide about nothing much."
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Findings"
    second.placeholders[1].text = phrase
    deck.save(path)


def _odf_document(kind: str, path: Path, phrase: str) -> None:
    from odf import draw, style, table, text
    from odf.opendocument import OpenDocumentPresentation, OpenDocumentSpreadsheet, OpenDocumentText

    if kind == "odt":
        doc = OpenDocumentText()
        doc.text.addElement(text.H(outlinelevel=1, text="Field notes"))
        doc.text.addElement(text.P(text=phrase))
    elif kind == "ods":
        doc = OpenDocumentSpreadsheet()
        sheet = table.Table(name="Counts")
        for values in (["bird", "remark"], ["grebe", phrase]):
            row = table.TableRow()
            for value in values:
                cell = table.TableCell(valuetype="string")
                cell.addElement(text.P(text=value))
                row.addElement(cell)
            sheet.addElement(row)
        doc.spreadsheet.addElement(sheet)
    else:
        doc = OpenDocumentPresentation()
        layout = style.PageLayout(name="layout")
        doc.automaticstyles.addElement(layout)
        master = style.MasterPage(name="master", pagelayoutname=layout)
        doc.masterstyles.addElement(master)
        for words in ("A first slide.", phrase):
            page = draw.Page(masterpagename=master)
            frame = draw.Frame(width="20cm", height="5cm", x="1cm", y="1cm")
            box = draw.TextBox()
            box.addElement(text.P(text=words))
            frame.addElement(box)
            page.addElement(frame)
            doc.presentation.addElement(page)
    doc.save(str(path))


def _epub(path: Path, phrase: str) -> None:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("scent-test")
    book.set_title("A small book")
    book.set_language("en")
    chapters = []
    for n, body in enumerate(("The first chapter is short.", phrase), start=1):
        chapter = epub.EpubHtml(title=f"Chapter {n}", file_name=f"c{n}.xhtml", lang="en")
        chapter.content = f"<html><body><h1>Chapter {n}</h1><p>{body}</p></body></html>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.spine = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    epub.write_epub(str(path), book)


def _eml(phrase: str, subject: str) -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Ada <ada@example.org>"
    message["To"] = "Bob <bob@example.org>"
    message["Subject"] = subject
    message["Date"] = "Mon, 02 Mar 2026 10:00:00 +0000"
    message.set_content(phrase)
    message.add_attachment(b"Attached notes mention the quiet lagoon of pelicans.", maintype="text",
                           subtype="plain", filename="notes.txt")
    return bytes(message)


def _scan(path: Path, phrase: str, pdf: bool) -> None:
    """A page of text as pixels only (no text layer): the OCR fixture."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40)
    image = Image.new("L", (1700, 200), 255)
    ImageDraw.Draw(image).text((40, 60), phrase, font=font, fill=0)
    if not pdf:
        image.save(path)
        return
    from fpdf import FPDF

    png = path.with_suffix(".tmp.png")
    image.save(png)
    document = FPDF()
    document.add_page()
    document.image(str(png), x=10, y=10, w=190)
    document.output(str(path))
    png.unlink()


RTF = r"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard Quarterly memo.\par \par %s\par}"


def mixed_folder(root: Path, ocr: bool = True) -> dict[str, str]:
    """Write the folder; file name → its unique phrase."""
    root.mkdir(parents=True, exist_ok=True)
    phrases = {
        "table.csv": "crimson kestrels nest near the quarry",
        "table.tsv": "amber newts hibernate beneath stones",
        "sheet.xlsx": "emerald dragonflies patrol the reservoir",
        "sheet.ods": "scarlet grebes dive in winter",
        "deck.pptx": "violet sandpipers migrate along the coast",
        "deck.odp": "silver eels cross the estuary at night",
        "notes.odt": "golden orioles sing before dawn",
        "book.epub": "indigo moths gather around lanterns",
        "memo.rtf": "copper beetles roll dung uphill",
        "mail.eml": "cobalt swifts sleep while flying",
        "inbox.mbox": "ochre foxes cache food for winter",
        "guide.rst": "jade frogs call after heavy rain",
        "plan.org": "russet squirrels bury acorns in autumn",
        "paper.tex": "ivory gulls follow the fishing boats",
        "analysis.ipynb": "teal herons stalk the shallow margins",
        "data.json": "maroon bats hunt over the canal",
        "feed.xml": "azure kingfishers perch on willow branches",
        "tool.py": "lilac voles tunnel under the meadow",
        "server.go": "umber badgers dig setts in woodland",
        "query.sql": "olive toads return to ancestral ponds",
        "README": "saffron finches feed on thistle seeds",
        "wide.txt": "plum starlings murmurate over reedbeds",
    }
    (root / "table.csv").write_text(f"species,remark\nkestrel,\"{phrases['table.csv']}\"\nowl,hoots\n")
    (root / "table.tsv").write_text(f"species\tremark\nnewt\t{phrases['table.tsv']}\n")
    _xlsx(root / "sheet.xlsx", phrases["sheet.xlsx"])
    _odf_document("ods", root / "sheet.ods", phrases["sheet.ods"])
    _pptx(root / "deck.pptx", phrases["deck.pptx"])
    _odf_document("odp", root / "deck.odp", phrases["deck.odp"])
    _odf_document("odt", root / "notes.odt", phrases["notes.odt"])
    _epub(root / "book.epub", phrases["book.epub"])
    (root / "memo.rtf").write_text(RTF % phrases["memo.rtf"])
    (root / "mail.eml").write_bytes(_eml(phrases["mail.eml"], "Swift facts"))
    mbox = b"".join(b"From ada@example.org Mon Mar  2 10:00:00 2026\n" + _eml(text, subject) + b"\n"
                    for text, subject in (("A first mail about nothing.", "Hello"),
                                          (phrases["inbox.mbox"], "Fox facts")))
    (root / "inbox.mbox").write_bytes(mbox)
    (root / "guide.rst").write_text(f"Guide\n=====\n\nIntro text.\n\nFrogs\n-----\n\n{phrases['guide.rst']}.\n")
    (root / "plan.org").write_text(f"* Plan\nSome intro.\n** Squirrels\n{phrases['plan.org']}.\n")
    (root / "paper.tex").write_text("\\title{Gulls}\n\\begin{document}\n\\section{Boats}\n"
                                    f"{phrases['paper.tex']}.\n\\end{{document}}\n")
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Herons\n", "\n", phrases["analysis.ipynb"]]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "print('wading')",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "zebra output never indexed"}]}]}
    (root / "analysis.ipynb").write_text(json.dumps(notebook))
    (root / "data.json").write_text(json.dumps({"animals": [{"name": "bat", "note": phrases["data.json"]}]}))
    (root / "feed.xml").write_text(f"<feed><title>Birds</title><entry><p>{phrases['feed.xml']}</p></entry></feed>")
    (root / "tool.py").write_text(f'"""Voles."""\n\n\ndef burrow():\n    """{phrases["tool.py"]}."""\n    return 1\n')
    (root / "server.go").write_text(f"package main\n\n// {phrases['server.go']}\nfunc main() {{\n}}\n")
    (root / "query.sql").write_text(f"-- {phrases['query.sql']}\nCREATE TABLE toads (id int);\n")
    (root / "README").write_text(phrases["README"] + ".\n")
    (root / "wide.txt").write_bytes(phrases["wide.txt"].encode("utf-16"))
    if ocr:
        phrases["scan.pdf"] = "the harbour seals rest on warm sandbanks"
        phrases["photo.png"] = "seven swans swim across the lake"
        _scan(root / "scan.pdf", phrases["scan.pdf"], pdf=True)
        _scan(root / "photo.png", phrases["photo.png"], pdf=False)
    return phrases
