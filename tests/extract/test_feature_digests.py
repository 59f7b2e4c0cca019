"""The models see what they were trained on: the fixtures' features match their recorded digests.

A change to blocks, features, language or page-type code that moves a single bit of the feature
matrix makes the shipped models stale (they were trained on the old features). Speed work must
keep this test green; a deliberate feature change retrains the models (scripts/train_clutter.py,
scripts/train_pagetype.py), checks the whole corpus (scripts/check_features.py) and records new
digests with `scripts/check_features.py --collections fixtures --save tests/extract/feature_digests.json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from check_features import doc_digest, matrix_digest  # noqa: E402
from clutter_data import fixture_samples, render  # noqa: E402

from pipeline.extract.core import decode_input  # noqa: E402
from pipeline.extract.prepare import prepare, prepare_text  # noqa: E402

DIGESTS = json.loads((Path(__file__).with_name("feature_digests.json")).read_text())
SAMPLES = fixture_samples()


def test_every_fixture_has_a_digest():
    assert sorted(DIGESTS) == sorted(f"{s.collection}/{s.id}" for s in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_features_match_the_digest(sample):
    expected = DIGESTS[f"{sample.collection}/{sample.id}"]
    text = decode_input(sample.content())
    assert isinstance(text, str)
    if sample.kind == "html":
        doc = prepare(text, sample.url)
        assert [doc_digest(doc), matrix_digest(doc.X)] == expected["html"]
        dump = render(text, "layout")  # our own renderer (the others are third-party)
    else:
        dump = text
    assert matrix_digest(prepare_text(dump)[1]) == expected["texts"][0]
