"""OCR through Debian's `tesseract-ocr` command (`make install` installs it when run as root): images, and PDF
pages that hold no text. Off with `scent index --no-ocr`; without tesseract an image is reported
(`ocr-unavailable`) and a PDF page without text is reported as before."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextvars import ContextVar
from pathlib import PurePath

from scent.ingest.extracted import Extracted, LoadError, paragraph_blocks

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")
TIMEOUT_S = 120
ENABLED: ContextVar[bool] = ContextVar("scent_ocr", default=True)  # set by `loaders.load(ocr=…)` for one file


def available() -> bool:
    return ENABLED.get() and shutil.which("tesseract") is not None


def image_text(data: bytes, suffix: str = ".png") -> str:
    """The text tesseract reads in an image ("" when none); LoadError when tesseract fails."""
    with tempfile.TemporaryDirectory(prefix="scent-ocr-") as folder:
        path = os.path.join(folder, "page" + suffix)
        with open(path, "wb") as f:
            f.write(data)
        try:
            done = subprocess.run(["tesseract", path, "stdout"], capture_output=True, timeout=TIMEOUT_S,
                                  env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        except (OSError, subprocess.TimeoutExpired) as e:
            raise LoadError("ocr-failed", f"{type(e).__name__}: {e}"[:300]) from e
    if done.returncode != 0:
        raise LoadError("ocr-failed", done.stderr.decode("utf-8", "replace").strip()[-300:])
    return done.stdout.decode("utf-8", "replace")


def load_image(data: bytes, name: str) -> Extracted:
    if not available():
        raise LoadError("ocr-unavailable", "an image is read by OCR: install tesseract-ocr (or this run has "
                        "--no-ocr)")
    text = image_text(data, PurePath(name).suffix.lower() or ".png")
    blocks = paragraph_blocks(text)
    if not blocks:
        raise LoadError("no-text", "OCR found no text in the image")
    return Extracted(text, PurePath(name).stem, blocks, [("ocr", "text read by OCR (tesseract)")])
