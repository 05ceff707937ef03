"""The generator's fast paths give what the slower code they replace gave: the same draws from
a random stream, the same text for a value, the same JSON for a row."""

from __future__ import annotations

import random
import time
import uuid

import pytest

from cdp.generator import output
from cdp.generator.engine import generate
from cdp.generator.util import iso_ms, randbelow, uuid4_text


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 7, 64, 65, 100, 1000, 12_345, 2**20, 2**20 + 1])
def test_randbelow_draws_what_randrange_and_choice_draw(n):
    ours, theirs = random.Random(n), random.Random(n)
    seq = range(n)
    for _ in range(300):
        assert randbelow(ours.getrandbits, n) == theirs.randrange(n)
        assert randbelow(ours.getrandbits, n) == theirs.choice(seq)
    assert ours.random() == theirs.random()  # the streams are where they were


def test_uuid4_text_is_the_uuid_module_text():
    rng = random.Random(3)
    for _ in range(2000):
        bits = rng.getrandbits(128)
        assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))


def test_iso_ms_is_strftime_with_milliseconds():
    for t_ms in range(1_764_000_000_000, 1_764_000_000_000 + 10**9, 7_919_393):
        s, ms = divmod(t_ms, 1000)
        assert iso_ms(t_ms) == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ms:03d}Z"


@pytest.mark.parametrize("scenario", ["default", "contact_free"])
def test_rows_made_as_text_are_the_json_encoders_text(tmp_path, monkeypatch, scenario):
    """Web events are written as text made by hand (Landing.delta_json): with CHECK_TEXT
    every such row is compared with what the JSON encoder makes of the row."""
    monkeypatch.setattr(output, "CHECK_TEXT", True)
    generate(400, 4, 5, str(tmp_path), end_date="2026-03-29", progress=False,
             scenario=scenario, workers=1, shards=2)  # fmt: skip
