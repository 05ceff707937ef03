"""The generator's fast paths give what the slower code they replace gave: the same draws from
a random stream, the same text for a value, the same JSON for a row."""

from __future__ import annotations

import gzip
import hashlib
import random
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cdp.generator import output
from cdp.generator.engine import generate
from cdp.generator.util import (
    ROME,
    FastRandom,
    iso_ms,
    iso_offset,
    iso_z,
    randbelow,
    rome_local,
    uuid4_text,
)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 7, 64, 65, 100, 1000, 12_345, 2**20, 2**20 + 1])
def test_randbelow_draws_what_randrange_and_choice_draw(n):
    ours, theirs = random.Random(n), random.Random(n)
    seq = range(n)
    for _ in range(300):
        assert randbelow(ours.getrandbits, n) == theirs.randrange(n)
        assert randbelow(ours.getrandbits, n) == theirs.choice(seq)
    assert ours.random() == theirs.random()  # the streams are where they were


@pytest.mark.parametrize("seed", ["42/7", "scenario:42/7", 5])
def test_fast_random_draws_what_random_draws(seed):
    ours, theirs = FastRandom(seed), random.Random(seed)
    for i in range(5_000):
        n = i % 700 + 1
        seq = list(range(n))
        assert ours.randint(-n, 7 * n) == theirs.randint(-n, 7 * n)
        assert ours.randrange(n) == theirs.randrange(n)
        assert ours.randrange(n, 3 * n) == theirs.randrange(n, 3 * n)
        assert ours.randrange(0, 3 * n, 3) == theirs.randrange(0, 3 * n, 3)
        assert ours.choice(seq) == theirs.choice(seq)
        assert ours.choice("abc") == theirs.choice("abc")
        assert ours.uniform(1, 5) == theirs.uniform(1, 5)
        assert ours.sample(seq, min(3, n)) == theirs.sample(seq, min(3, n))
    assert ours.randint(10**18, 10**19 - 1) == theirs.randint(10**18, 10**19 - 1)
    assert ours.getstate() == theirs.getstate()


@pytest.mark.parametrize(
    "draw",
    [lambda r: r.randint(5, 4), lambda r: r.choice([]), lambda r: r.randrange(0),
     lambda r: r.randrange(5, 5), lambda r: r.randint(1.5, 4)],
)  # fmt: skip
def test_fast_random_refuses_what_random_refuses(draw):
    errors = []
    for rng in (FastRandom(1), random.Random(1)):
        with pytest.raises(Exception) as e:
            draw(rng)
        errors.append(e.type)
    assert errors[0] == errors[1]


def test_uuid4_text_is_the_uuid_module_text():
    rng = random.Random(3)
    for _ in range(2000):
        bits = rng.getrandbits(128)
        assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))


def test_iso_ms_is_strftime_with_milliseconds():
    for t_ms in range(1_764_000_000_000, 1_764_000_000_000 + 10**9, 7_919_393):
        s, ms = divmod(t_ms, 1000)
        assert iso_ms(t_ms) == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ms:03d}Z"


def test_iso_z_is_strftime():
    rng = random.Random(4)
    for _ in range(20_000):
        t = rng.uniform(1.5e9, 1.9e9)
        assert iso_z(t) == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


# the zones of the generated countries, and zones whose offsets are not whole hours (these take
# the slow path)
ZONES = ["Europe/Rome", "Europe/London", "Europe/Madrid", "America/New_York",
         "America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe"]  # fmt: skip
# days of daylight saving changes (Europe, United States, Lord Howe in 2026)
CHANGES = ["2026-03-08", "2026-03-29", "2026-04-05", "2026-10-04", "2026-10-25", "2026-11-01"]


@pytest.mark.parametrize("zone", ZONES)
def test_local_times_are_datetimes_text_also_across_daylight_saving_changes(zone):
    tz = ZoneInfo(zone)
    rng = random.Random(zone)
    times = [rng.uniform(1.5e9, 1.9e9) for _ in range(5_000)]
    for day in CHANGES:
        t0 = datetime.fromisoformat(day + "T00:00:00+00:00").timestamp() - 86400
        times += [t0 + k * 61.3 for k in range(3 * 86400 // 61)]
    for t in times:
        assert iso_offset(t, tz) == datetime.fromtimestamp(int(t), tz).isoformat()
        assert rome_local(t) == datetime.fromtimestamp(int(t), ROME).strftime("%d/%m/%Y %H:%M")


@pytest.mark.parametrize("scenario", ["default", "contact_free"])
def test_rows_made_as_text_are_the_json_encoders_text(tmp_path, monkeypatch, scenario):
    """Web events are written as text made by hand (Landing.delta_json): with CHECK_TEXT
    every such row is compared with what the JSON encoder makes of the row."""
    monkeypatch.setattr(output, "CHECK_TEXT", True)
    generate(400, 4, 5, str(tmp_path), end_date="2026-03-29", progress=False,
             scenario=scenario, workers=1, shards=2)  # fmt: skip


def digest(root) -> str:
    """sha256 of the ``sha256sum`` listing of every landing and truth file, by path; a gzip
    file by the bytes it holds (its compression level is no part of the data; that two runs
    compress alike is test_generator's concern)."""
    lines = []
    for sub in ("landing", "truth"):
        for p in sorted((root / sub).rglob("*")):
            if p.is_file():
                data = p.read_bytes()
                if p.suffix == ".gz":
                    data = gzip.decompress(data)
                lines.append(f"{hashlib.sha256(data).hexdigest()}  {p.relative_to(root)}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


# Generations whose every byte is pinned (a gzip file's by its content): the files the
# generator wrote before its fast paths (persons, days, seed, shards, scenario; end date
# 2026-11-28). A change that means to change
# the output updates these digests; a change meant to be only faster must leave them. Last
# updated when account holders began to answer on third-party sharing: only the consent
# exports changed, in each of the four.
PINNED = [
    (300, 6, 7, 1, "default", "cb18c18900650ea93bafa137cecded3ae79b67ea6e4314a79dcde62ca0fd2f51"),
    (40, 5, 3, 3, "default", "ccd706d5926cef6c3f096f4934f144f92ca4a1ada8f17e0f0fec49924c9ac03f"),
    (
        30,
        6,
        4,
        2,
        "contact_free",
        "3b8418c08730c0e03b971db9ec40e75737120f723c337c809d0839426f6e2335",
    ),
    (60, 4, 6, 4, "movers", "c982b8fa6cd0f34ac243788d777ddda34080a58e1c6764eec45c2292cc1cd9b7"),
]


@pytest.mark.parametrize(("persons", "days", "seed", "shards", "scenario", "expected"), PINNED)
def test_generated_bytes_are_pinned(tmp_path, persons, days, seed, shards, scenario, expected):
    generate(persons, days, seed, str(tmp_path), end_date="2026-11-28", progress=False,
             scenario=scenario, workers=1, shards=shards)  # fmt: skip
    assert digest(tmp_path) == expected
