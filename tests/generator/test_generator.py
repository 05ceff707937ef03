"""Tests of the source-export generator (cdp-generate) against the SOURCES.md contract."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import phonenumbers
import pytest

from cdp.generator import cli
from cdp.generator.engine import LandingNotEmptyError, generate
from cdp.generator.specs import ALL_SPECS, SOURCES
from cdp.generator.util import Bloom, IdSeq

PERSONS, DAYS, SEED, END = 400, 6, 7, "2026-11-28"
DATES = [(date.fromisoformat(END) - timedelta(days=DAYS - 1 - i)).isoformat() for i in range(DAYS)]
EXTRA = (date.fromisoformat(END) + timedelta(days=1)).isoformat()
COUNTRIES = {"IT", "DE", "FR", "ES", "CH", "GB", "US"}
DIET = {"vegetarian", "vegan", "pescatarian", "gluten_free", "lactose_free", "none"}
TRUTH_SOURCES = {
    "crm",
    "shop_account",
    "shop_order",
    "web",
    "newsletter",
    "subscriptions",
    "surveys_nps",
    "surveys_preferences",
    "support",
    "social",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("gen")
    out = {}
    for name, seed in (("a", SEED), ("b", SEED), ("c", SEED + 1)):
        summary = generate(PERSONS, DAYS, seed, str(base / name), end_date=END, progress=False)
        out[name] = (base / name, summary)
    # the households in two shards (as from 50,000 persons), in two processes and in one
    for name, workers in (("sharded", 2), ("sharded_here", 1)):
        summary = generate(
            PERSONS,
            DAYS,
            SEED,
            str(base / name),
            end_date=END,
            progress=False,
            shards=2,
            workers=workers,
        )
        out[name] = (base / name, summary)
    return out


@pytest.fixture(scope="module", params=["a", "sharded"])
def run(runs, request):
    """A generation in one shard and one in two: each must keep the whole contract."""
    return runs[request.param]


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------- reading landed files
def read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def csv_rows(path: Path, spec) -> tuple[list[str], list[list[str]]]:
    text = read_text(path)
    if spec.bom:
        assert text.startswith("\ufeff"), f"{path} lacks the UTF-8 BOM"
        text = text[1:]
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter))
    return rows[0], rows[1:]


def ndjson_lines(path: Path) -> list[tuple[str, dict | None]]:
    out = []
    for line in read_text(path).splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            obj = None
        out.append((line, obj))
    return out


def field_of(line: str, obj: dict | None, key: str) -> str | None:
    """A record's key even from a broken (truncated) line."""
    if obj is not None:
        return obj.get(key)
    m = re.search(rf'"{key}":"([^"]*)"', line)
    return m.group(1) if m else None


def complete_folders(root: Path, source: str) -> list[Path]:
    return [p for p in sorted((root / "landing" / source).iterdir()) if (p / "_SUCCESS").exists()]


def canon(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def landed_records(root: Path) -> dict[str, set[str]]:
    """Record ids (as in record_person.csv) of every landed record in complete folders."""
    spec = {s.key: s for s in ALL_SPECS}
    rec: dict[str, set[str]] = {s: set() for s in TRUTH_SOURCES}
    crm_handles: set[str] = set()
    ticket_handles: set[str] = set()
    mentions: list[tuple[str, str]] = []
    for folder in complete_folders(root, "crm"):
        header, rows = csv_rows(folder / "contacts.csv", spec["crm/contacts.csv"])
        hi = header.index("instagram_handle")
        for r in rows:
            rec["crm"].add(r[0])
            if len(r) > hi and r[hi].strip():
                crm_handles.add(canon(r[hi]))
    for folder in complete_folders(root, "shop"):
        _, rows = csv_rows(folder / "accounts.csv", spec["shop/accounts.csv"])
        rec["shop_account"].update(r[0] for r in rows)
        _, rows = csv_rows(folder / "orders.csv", spec["shop/orders.csv"])
        rec["shop_order"].update(r[0] for r in rows if r[1] == "")
    for folder in complete_folders(root, "web"):
        for line, obj in ndjson_lines(folder / "events.ndjson.gz"):
            rec["web"].add(field_of(line, obj, "anonymous_id"))
    for folder in complete_folders(root, "newsletter"):
        _, rows = csv_rows(folder / "subscribers.csv", spec["newsletter/subscribers.csv"])
        rec["newsletter"].update(r[0] for r in rows)
    for folder in complete_folders(root, "subscriptions"):
        arr = json.loads(read_text(folder / "subscriptions.json"))
        rec["subscriptions"].update(o["id"] for o in arr)
    for folder in complete_folders(root, "surveys"):
        _, rows = csv_rows(folder / "nps.csv", spec["surveys/nps.csv"])
        rec["surveys_nps"].update(r[0] for r in rows)
        _, rows = csv_rows(folder / "preferences.csv", spec["surveys/preferences.csv"])
        rec["surveys_preferences"].update(r[0] for r in rows)
    for folder in complete_folders(root, "support"):
        for line, obj in ndjson_lines(folder / "tickets.ndjson"):
            rec["support"].add(field_of(line, obj, "ticket_id"))
            if obj is not None and obj["channel"] == "social" and obj["customer"]["name"]:
                ticket_handles.add(canon(obj["customer"]["name"]))
    for folder in complete_folders(root, "social"):
        for line, obj in ndjson_lines(folder / "mentions.ndjson"):
            mentions.append((field_of(line, obj, "platform"), canon(field_of(line, obj, "handle"))))
    known = crm_handles | ticket_handles
    rec["social"] = {f"{plat}:{h}" for plat, h in mentions if h in known}
    rec["_all_social"] = {f"{plat}:{h}" for plat, h in mentions}
    rec["_known_handles"] = known
    return rec


def read_truth(root: Path) -> tuple[list[dict], list[dict]]:
    with open(root / "truth" / "persons.csv", encoding="utf-8", newline="") as fh:
        persons = list(csv.DictReader(fh))
    with open(root / "truth" / "record_person.csv", encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    return persons, records


# ---------------------------------------------------------------- tests
def test_same_arguments_give_identical_bytes(runs):
    a, b = digests(runs["a"][0]), digests(runs["b"][0])
    assert a.keys() == b.keys()
    assert a == b


def test_shards_give_the_same_bytes_in_any_number_of_processes(runs):
    sharded, here = digests(runs["sharded"][0]), digests(runs["sharded_here"][0])
    assert sharded == here
    # two shards are another generation than one (their own ids and share of addresses)
    one = digests(runs["a"][0])
    assert one.keys() == sharded.keys()
    assert any(one[k] != sharded[k] for k in one if "crm" in k)
    assert runs["sharded"][1]["rows"] == runs["sharded_here"][1]["rows"]
    assert not (runs["sharded"][0] / ".pieces").exists()


def test_shards_never_hand_out_one_id_or_address_twice():
    """Each shard counts ids of its own and takes only the keys it owns."""
    shards = [(IdSeq(48_271, 777_777, 9_000_000, shard=(b, 2)), Bloom(16, b, 2)) for b in (0, 1)]
    ids = [{seq.next() for _ in range(5_000)} for seq, _ in shards]
    assert len(ids[0]) == len(ids[1]) == 5_000 and not ids[0] & ids[1]
    keys = [f"e:anna.rossi{i}@example.it" for i in range(2_000)]
    taken = [{k for k in keys if bloom.add_if_absent(k)} for _, bloom in shards]
    assert not taken[0] & taken[1]
    assert len(taken[0]) + len(taken[1]) >= 0.99 * len(keys)  # Bloom false positives aside
    assert 0.4 < len(taken[0]) / len(keys) < 0.6


def test_different_seed_gives_different_content(runs):
    a, c = digests(runs["a"][0]), digests(runs["c"][0])
    common = a.keys() & c.keys()
    changed = [k for k in common if a[k] != c[k] and not k.endswith("_SUCCESS")]
    assert len(changed) > len(common) // 2


def test_gzip_header_is_reproducible(run):
    root, _ = run
    for p in (root / "landing" / "web").rglob("*.gz"):
        head = p.read_bytes()[:10]
        assert head[:3] == b"\x1f\x8b\x08"
        assert head[3] & 0x08 == 0, "no file name in the header"
        assert head[4:8] == b"\x00\x00\x00\x00", "mtime must be 0"


def test_every_file_in_every_complete_folder(run):
    root, _ = run
    land = root / "landing"
    assert sorted(p.name for p in land.iterdir()) == sorted(SOURCES)
    for spec in ALL_SPECS:
        for d in DATES:
            folder = land / spec.source / d
            assert (folder / spec.name).is_file(), folder / spec.name
            assert (folder / "_SUCCESS").is_file(), folder
    for source in SOURCES:
        folders = sorted(p.name for p in (land / source).iterdir())
        assert folders == (DATES + [EXTRA] if source == "web" else DATES), source
    partial = land / "web" / EXTRA
    assert (partial / "events.ndjson.gz").is_file()
    assert not (partial / "_SUCCESS").exists()
    assert len(ndjson_lines(partial / "events.ndjson.gz")) > 0


def test_csv_headers_and_json_keys(run):
    root, _ = run
    for spec in ALL_SPECS:
        for d in DATES:
            path = root / "landing" / spec.source / d / spec.name
            if spec.fmt == "csv":
                raw = path.read_bytes()
                assert raw.startswith(b"\xef\xbb\xbf") == spec.bom, path
                header, _ = csv_rows(path, spec)
                assert tuple(header) == spec.columns, path
                assert header == raw.decode("utf-8-sig").splitlines()[0].split(spec.delimiter)
            elif spec.fmt == "jsonarray":
                arr = json.loads(read_text(path))
                assert isinstance(arr, list)
                for obj in arr:
                    assert tuple(obj) == spec.columns
                    if isinstance(obj["customer"], dict):
                        assert set(obj["customer"]) == {"email", "name", "phone"}
                        assert set(obj["delivery_address"]) == {
                            "line1",
                            "postcode",
                            "city",
                            "country",
                        }
            else:
                for _line, obj in ndjson_lines(path):
                    if obj is not None:
                        assert tuple(obj) == spec.columns, path
                        if spec.name == "events.ndjson.gz":
                            assert isinstance(obj["properties"], dict)
                            if obj["event_type"] in ("newsletter_signup", "login"):
                                assert "@" in obj["properties"]["email"]
                        if spec.name == "tickets.ndjson":
                            assert set(obj["customer"]) == {"email", "phone", "name"}


def test_value_formats(run):
    root, _ = run
    spec = {s.key: s for s in ALL_SPECS}
    _, rows = csv_rows(root / "landing/crm" / DATES[0] / "contacts.csv", spec["crm/contacts.csv"])
    ok = [r for r in rows if len(r) == 17]
    assert sum(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", r[14]) is not None for r in ok) >= (
        len(ok) - 3
    )
    assert {r[16] for r in ok} <= {"0", "1"}
    assert {r[13] for r in ok} <= {"sì", "si", "no", "yes", "y", "n", ""}
    _, rows = csv_rows(root / "landing/shop" / DATES[0] / "orders.csv", spec["shop/orders.csv"])
    good = [r for r in rows if len(r) == 15 and re.fullmatch(r"\d+\.\d\d", r[8])]
    assert good and all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", r[6]) for r in good
    )
    assert {r[7] for r in good} <= {"EUR", "GBP", "CHF", "USD"}
    events = ndjson_lines(root / "landing/web" / DATES[-1] / "events.ndjson.gz")
    parsed = [o for _, o in events if o is not None]
    assert (
        sum(
            re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["occurred_at"]) is not None
            for o in parsed
        )
        >= len(parsed) - 3
    )
    late = [
        o
        for o in parsed
        if o["occurred_at"][:10] < DATES[-1] and o["received_at"][:10] == DATES[-1]
    ]
    assert late, "some events arrive late"


def test_some_account_holders_answer_on_third_party_sharing(run):
    """The consent of the ads channel (the look-alike audience): granted and denied, by
    account, at checkout or in the preference centre."""
    root, _ = run
    spec = {s.key: s for s in ALL_SPECS}["consent/consent_events.csv"]
    answers = [
        row
        for day in DATES
        for row in csv_rows(root / "landing/consent" / day / "consent_events.csv", spec)[1]
        if len(row) == 8 and row[3] == "third_party_sharing"
    ]
    assert {row[4] for row in answers} >= {"granted", "denied"}
    assert {row[1] for row in answers} == {"account_id"}
    assert {row[6] for row in answers} <= {"checkout", "preference_center"}


def test_truth_covers_every_landed_record(run):
    root, _ = run
    persons, records = read_truth(root)
    pids = {p["person_id"] for p in persons}
    by_source: dict[str, set[str]] = {}
    seen = set()
    for r in records:
        assert r["source"] in TRUTH_SOURCES
        assert r["person_id"] in pids
        key = (r["source"], r["record_id"])
        assert key not in seen, f"duplicate truth row {key}"
        seen.add(key)
        by_source.setdefault(r["source"], set()).add(r["record_id"])
    landed = landed_records(root)
    for source in TRUTH_SOURCES:
        truth_ids = by_source.get(source, set())
        assert truth_ids, f"no truth rows for {source}"
        missing = landed[source] - truth_ids
        assert not missing, f"{source}: landed records without truth: {sorted(missing)[:5]}"
        if source == "social":
            extra = truth_ids - landed["_all_social"]
        else:
            extra = truth_ids - landed[source]
        assert not extra, f"{source}: truth rows whose record never landed: {sorted(extra)[:5]}"
    # strangers' handles are not persons: social truth is a strict subset of landed handles
    assert landed["_all_social"] - by_source["social"]


def test_incomplete_folder_records_are_not_in_truth_unless_landed_elsewhere(run):
    root, _ = run
    _, records = read_truth(root)
    web_truth = {r["record_id"] for r in records if r["source"] == "web"}
    complete = landed_records(root)["web"]
    partial = {
        field_of(line, obj, "anonymous_id")
        for line, obj in ndjson_lines(root / "landing/web" / EXTRA / "events.ndjson.gz")
    }
    only_partial = partial - complete
    assert not (only_partial & web_truth)


def test_persons_truth(run):
    root, summary = run
    persons, _ = read_truth(root)
    assert len(persons) == PERSONS
    assert list(persons[0]) == [
        "person_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "birth_date",
        "street",
        "postcode",
        "city",
        "country",
        "language",
        "diet",
        "household_size",
    ]
    assert len({p["person_id"] for p in persons}) == PERSONS
    with_phone = 0
    for p in persons:
        assert p["country"] in COUNTRIES
        assert re.fullmatch(r"P\d{7}", p["person_id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", p["birth_date"])
        assert set(p["diet"].split(";")) <= DIET
        assert int(p["household_size"]) >= 1
        assert p["language"] in {"it", "de", "fr", "es", "en"}
        if p["phone"]:
            with_phone += 1
            num = phonenumbers.parse(p["phone"])
            assert phonenumbers.is_valid_number(num), p["phone"]
            assert (
                phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164) == (p["phone"])
            )
            assert phonenumbers.region_code_for_number(num) == p["country"]
    assert with_phone > 0.9 * PERSONS
    assert {p["country"] for p in persons} >= {"IT", "DE", "FR", "ES"}
    ch = [p for p in persons if p["country"] == "CH"]
    assert all(p["language"] in {"de", "fr", "it"} for p in ch)


def test_broken_rows_exist(run):
    root, summary = run
    broken = summary["broken_rows"]
    # one shard breaks a row of every file early, so that small samples have bad rows; two
    # shards (50,000 persons and more) break each of their pieces, which are small only here
    rare = ("web/events.ndjson.gz", "support/tickets.ndjson", "social/mentions.ndjson")
    for key in rare if summary["shards"] == 1 else rare[:1]:
        assert broken[key] >= 1, key
    assert sum(v for k, v in broken.items() if k.endswith(".csv")) >= 5
    # and they are visible in the files: a wrong column count somewhere, a bad JSON line
    spec = {s.key: s for s in ALL_SPECS}
    wrong_count = 0
    for key in (
        "crm/contacts.csv",
        "shop/orders.csv",
        "consent/consent_events.csv",
        "newsletter/subscribers.csv",
        "shop/order_items.csv",
        "shop/accounts.csv",
    ):
        src, name = key.split("/")
        for d in DATES:
            header, rows = csv_rows(root / "landing" / src / d / name, spec[key])
            wrong_count += sum(len(r) != len(header) for r in rows)
    bad_json = 0
    for d in DATES:
        for _line, obj in ndjson_lines(root / "landing/web" / d / "events.ndjson.gz"):
            if obj is None or not all(
                re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", obj[k] or "")
                for k in ("occurred_at", "received_at")
            ):
                bad_json += 1
    assert wrong_count >= 1
    assert bad_json >= 1


def test_resent_folder_is_a_copy_of_the_day_before(run):
    root, summary = run
    assert 1 <= len(summary["resent"]) <= 2
    for item in summary["resent"]:
        source, day = item.split("/")
        i = DATES.index(day)
        assert 0 < i < DAYS - 1
        prev = root / "landing" / source / DATES[i - 1]
        cur = root / "landing" / source / day
        names = sorted(p.name for p in prev.iterdir())
        assert names == sorted(p.name for p in cur.iterdir())
        for n in names:
            assert (prev / n).read_bytes() == (cur / n).read_bytes()


def test_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "small"
    args = [
        "--persons",
        "20",
        "--days",
        "2",
        "--seed",
        "3",
        "--out",
        str(out),
        "--end-date",
        END,
        "--quiet",
    ]
    assert cli.main(args) == 0
    assert (out / "truth" / "persons.csv").is_file()
    assert cli.main(args) == 2
    assert "--force" in capsys.readouterr().err
    with pytest.raises(LandingNotEmptyError):
        generate(20, 2, 3, str(out), end_date=END, progress=False)
    (out / "landing" / "stray.txt").write_text("x")
    assert cli.main(args + ["--force"]) == 0
    assert not (out / "landing" / "stray.txt").exists()
