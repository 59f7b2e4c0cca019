"""Language identification (ISO 639-1) with py3langid, loaded once on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from py3langid.langid import MODEL_FILE, RAW_FLOOR, LanguageIdentifier

SAMPLE_CHARS = 1500  # a paragraph or two decide the language; more only costs time
# py3langid's byte automaton forgets where it started after this many bytes: from any state, the
# same 6 bytes lead to the state they lead to from the start (checked over every state pair by
# tests/extract/test_fast_paths.py), so the state after byte i is the start state run over bytes i-5..i
SYNC_BYTES = 6


class FastIdentifier(LanguageIdentifier):
    """py3langid's identifier with its byte-automaton walk vectorised; same scores, bit for bit.

    py3langid walks its 39 MB automaton one byte at a time in Python, for the 1,500 characters a
    page is identified by: inside `extract`, where the table is cold in the CPU cache, a median
    1.16 ms of a ScrapingHub page's 11 ms. Since the automaton synchronises within SYNC_BYTES
    bytes, every byte's state is found at once with SYNC_BYTES numpy gathers (0.72-0.77 ms,
    scoring included); the features are then counted in order of first appearance, as
    py3langid's Counter does, so its scoring sums them in the same order
    (tests/extract/test_fast_paths.py compares both). Encoding, normalising and aliases stay
    py3langid's own.
    """

    __slots__ = ("_nextmove", "_rows", "_outputs")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a view of py3langid's own table (39 MB of uint32): no copy
        self._nextmove: np.ndarray = np.frombuffer(self.tk_nextmove, dtype=np.uint32)
        self._rows: np.ndarray = np.asarray(self._rowbase, dtype=np.intp)
        self._outputs: np.ndarray = np.asarray(self.tk_output, dtype=np.intp)

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The automaton: next state by row offset + byte, each state's row offset, its feature."""
        return self._nextmove, self._rows, self._outputs

    def _raw_score(self, text: bytes) -> np.ndarray:
        data = np.frombuffer(bytes(text), dtype=np.uint8).astype(np.intp)
        nextmove, rows, outputs = self.tables()
        n = len(data)
        head = min(n, SYNC_BYTES - 1)
        states = np.empty(n, dtype=np.intp)
        state = 0
        for i in range(head):  # the first bytes: walked from the start, as py3langid does
            state = int(nextmove[rows[state] + data[i]])
            states[i] = state
        if n > head:
            run = np.zeros(n - head, dtype=np.intp)
            for j in range(SYNC_BYTES):
                run = nextmove[rows[run] + data[j : n - head + j]]
            states[head:] = run
        found = outputs[states]
        found = found[found >= 0]
        if not len(found):
            fill = 0.0 if self._norm_probs else RAW_FLOOR
            return np.full(len(self.nb_classes), fill, dtype=np.float32)
        features, first, counts = np.unique(found, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        idx = features[order]
        return np.log1p(counts[order].astype(np.float32)) @ self.nb_ptc[idx] + self.nb_pc


@lru_cache(maxsize=1)
def _identifier() -> FastIdentifier:
    return FastIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The most likely language of `text`, or None when too short or too unsure."""
    return language_and_confidence(text)[0]


def language_and_confidence(text: str) -> tuple[str | None, float]:
    """`detect_language(text)` and py3langid's probability for it (0.0 when None)."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < 20:
        return None, 0.0
    lang, prob = _identifier().classify(sample)
    return (lang, prob) if prob >= 0.5 else (None, 0.0)
