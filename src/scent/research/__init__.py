"""`scent research`: a cited deep-research report over the corpus (docs/research.md).

outline (from the corpus) ▸ per-section retrieval ▸ claims chosen from whole passages, each verified against its
passage ▸ summary, references, gaps ▸ markdown / HTML / JSON. Heavy imports stay inside the functions.
"""

from __future__ import annotations

from scent.research.model import Claim, Reference, ResearchReport, Section

__all__ = ["Claim", "Reference", "ResearchReport", "Section"]
