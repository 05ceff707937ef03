"""The generator's scenarios (cdp-generate --scenario): each does what it says, and the default
scenario is the sample, byte for byte."""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from cdp.generator import cli
from cdp.generator import refdata as R
from cdp.generator.engine import generate
from cdp.generator.scenarios import SCENARIOS, Scenario
from cdp.generator.util import fold

PERSONS, DAYS, SEED, END = 300, 3, 11, "2026-11-28"
OTHERS = ("contact_free", "typo_copies", "movers")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("scenarios")
    out = {}
    for name in ("default", *OTHERS):
        generate(PERSONS, DAYS, SEED, str(base / name), end_date=END, progress=False,
                 scenario=name)  # fmt: skip
        out[name] = base / name
    return out


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def text_of(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def csv_rows(root: Path, source: str, name: str, columns: int) -> list[list[str]]:
    """Rows (with the right column count) of every export day of one CSV file."""
    delimiter = ";" if source == "crm" else ","
    rows = []
    for path in sorted((root / "landing" / source).glob(f"*/{name}")):
        rows += [
            r
            for r in csv.reader(io.StringIO(text_of(path), newline=""), delimiter=delimiter)
            if len(r) == columns
        ][1:]
    return rows


def json_objects(root: Path, source: str, name: str) -> list[dict]:
    out = []
    for path in sorted((root / "landing" / source).glob(f"*/{name}")):
        text = text_of(path)
        if name.endswith(".json"):
            out += json.loads(text)
            continue
        for line in text.splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                out.append(json.loads(line))
    return out


def truth(root: Path) -> tuple[dict[str, dict], dict[tuple[str, str], str]]:
    with open(root / "truth" / "persons.csv", encoding="utf-8", newline="") as handle:
        persons = {p["person_id"]: p for p in csv.DictReader(handle)}
    with open(root / "truth" / "record_person.csv", encoding="utf-8", newline="") as handle:
        records = {(r["source"], r["record_id"]): r["person_id"] for r in csv.DictReader(handle)}
    return persons, records


def crm_contacts(root: Path) -> dict[str, list[str]]:
    """The newest landed version of each CRM contact."""
    return {row[0]: row for row in csv_rows(root, "crm", "contacts.csv", 17)}


# ---------------------------------------------------------------- default
def test_default_scenario_is_the_sample_byte_for_byte(runs, tmp_path):
    generate(PERSONS, DAYS, SEED, str(tmp_path / "plain"), end_date=END, progress=False)
    assert digests(tmp_path / "plain") == digests(runs["default"])
    assert not SCENARIOS["default"].active
    assert all(SCENARIOS[name].active for name in OTHERS)


def test_a_scenario_is_deterministic_too(runs, tmp_path):
    args = ["--persons", str(PERSONS), "--days", str(DAYS), "--seed", str(SEED),
            "--end-date", END, "--quiet", "--scenario", "typo_copies",
            "--out", str(tmp_path / "again")]  # fmt: skip
    assert cli.main(args) == 0
    assert digests(tmp_path / "again") == digests(runs["typo_copies"])
    assert digests(runs["typo_copies"]) != digests(runs["default"])


def test_unknown_scenario_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown scenario"):
        generate(5, 1, 1, str(tmp_path), end_date=END, progress=False, scenario="nope")
    assert generate(5, 1, 1, str(tmp_path), end_date=END, progress=False,
                    scenario=Scenario("custom", twins=1.0))["scenario"] == "custom"  # fmt: skip


# ---------------------------------------------------------------- contact_free
def test_contact_free_exports_carry_no_email_phone_or_handle(runs):
    root = runs["contact_free"]
    for path in (root / "landing").rglob("*"):
        if path.is_file() and path.name != "_SUCCESS":
            assert "@" not in text_of(path), path
    contacts = csv_rows(root, "crm", "contacts.csv", 17)
    assert contacts
    assert all(r[4] == r[5] == r[6] == r[12] == "" for r in contacts)  # email phone mobile handle
    assert all(r[1] == r[4] == "" for r in csv_rows(root, "shop", "accounts.csv", 11))
    assert all(r[2] == r[3] == "" for r in csv_rows(root, "shop", "orders.csv", 15))
    assert all(r[1] == r[2] == "" for r in csv_rows(root, "privacy", "erasure_requests.csv", 5))
    for source, name in (("subscriptions", "subscriptions.json"), ("support", "tickets.ndjson")):
        for obj in json_objects(root, source, name):
            if isinstance(obj["customer"], dict):
                assert obj["customer"]["email"] is None and obj["customer"]["phone"] is None
    assert not json_objects(root, "social", "mentions.ndjson")
    assert {r[1] for r in csv_rows(root, "consent", "consent_events.csv", 8)} <= {
        "anonymous_id",
        "account_id",
    }
    # names, birth dates and addresses stay
    assert sum(bool(r[2] and r[3]) for r in contacts) > 0.95 * len(contacts)
    assert sum(bool(r[7]) for r in contacts) > 0.3 * len(contacts)
    assert sum(bool(r[8] and r[9]) for r in contacts) > 0.9 * len(contacts)


def test_contact_free_truth_names_only_landed_records(runs):
    root = runs["contact_free"]
    _, records = truth(root)
    sources = Counter(source for source, _ in records)
    assert not sources.keys() & {"newsletter", "surveys_nps", "surveys_preferences", "social"}
    assert sources["crm"] and sources["web"] and sources["subscriptions"]
    landed = {
        line.split(";", 1)[0]
        for path in (root / "landing" / "crm").glob("*/contacts.csv")
        for line in text_of(path).splitlines()[1:]
    }
    assert {rid for source, rid in records if source == "crm"} <= landed


# ---------------------------------------------------------------- typo_copies
def test_typo_copies_make_several_crm_records_of_one_person(runs):
    persons, records = truth(runs["typo_copies"])
    per_person = Counter(pid for (source, _), pid in records.items() if source == "crm")
    assert sum(n >= 2 for n in per_person.values()) >= 0.2 * len(persons)
    assert max(per_person.values()) >= 4
    _, default_records = truth(runs["default"])
    default_per_person = Counter(pid for (s, _), pid in default_records.items() if s == "crm")
    assert sum(n >= 2 for n in default_per_person.values()) < 0.1 * len(persons)


def test_typo_copies_have_birth_date_and_first_name_variants(runs):
    root = runs["typo_copies"]
    persons, records = truth(root)
    other_birth = nickname = initial = 0
    for cid, row in crm_contacts(root).items():
        person = persons[records[("crm", cid)]]
        if row[7].count("/") == 2:
            d, m, y = row[7].split("/")
            other_birth += f"{y}-{m}-{d}" != person["birth_date"]
        first = row[2].strip()
        forms = {fold(f) for f in R.NICKNAMES.get(person["first_name"], ())}
        nickname += fold(first) in forms and fold(first) != fold(person["first_name"])
        initial += len(first) == 2 and first.endswith(".")
    assert other_birth >= 5
    assert nickname >= 1
    assert initial >= 5


# ---------------------------------------------------------------- movers
def _postcodes_per_person(root: Path) -> dict[str, set[str]]:
    """Postcodes each person's CRM contacts, guest orders and subscriptions carry."""
    _, records = truth(root)
    postcodes: dict[str, set[str]] = defaultdict(set)

    def norm(postcode: str) -> str:
        return postcode.replace(" ", "").upper().lstrip("0")

    for row in csv_rows(root, "crm", "contacts.csv", 17):
        if row[9]:
            postcodes[records[("crm", row[0])]].add(norm(row[9]))
    for row in csv_rows(root, "shop", "orders.csv", 15):
        if not row[1] and row[12] and ("shop_order", row[0]) in records:
            postcodes[records[("shop_order", row[0])]].add(norm(row[12]))
    for obj in json_objects(root, "subscriptions", "subscriptions.json"):
        if isinstance(obj.get("delivery_address"), dict):
            pid = records[("subscriptions", obj["id"])]
            postcodes[pid].add(norm(obj["delivery_address"]["postcode"]))
    return postcodes


def test_movers_leave_records_at_two_addresses(runs):
    moved = sum(len(v) >= 2 for v in _postcodes_per_person(runs["movers"]).values())
    moved_default = sum(len(v) >= 2 for v in _postcodes_per_person(runs["default"]).values())
    assert moved >= 4
    assert moved > 2 * moved_default


def test_movers_take_a_partners_surname_in_later_records(runs):
    def renamed(root: Path) -> int:
        persons, records = truth(root)
        seen = set()
        for cid, row in crm_contacts(root).items():
            person = persons[records[("crm", cid)]]
            if fold(row[2]) == fold(person["first_name"]) and fold(row[3]) != fold(
                person["last_name"]
            ):
                seen.add(person["person_id"])
        return len(seen)

    assert renamed(runs["movers"]) > renamed(runs["default"])


# ---------------------------------------------------------------- twins and namesakes
@pytest.mark.parametrize("name", OTHERS)
def test_twins_and_parent_child_namesakes_are_different_persons(runs, name):
    persons, records = truth(runs[name])
    home: dict[tuple, list[dict]] = defaultdict(list)
    for p in persons.values():
        home[(p["last_name"], p["street"], p["postcode"])].append(p)
    twins, namesakes = [], []
    for members in home.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a["birth_date"] == b["birth_date"] and a["first_name"] != b["first_name"]:
                    twins.append((a, b))
                years = abs(int(a["birth_date"][:4]) - int(b["birth_date"][:4]))
                if a["first_name"] == b["first_name"] and years >= 25:
                    namesakes.append((a, b))
    assert twins and namesakes
    for a, b in twins + namesakes:
        assert a["person_id"] != b["person_id"]
    with_records = set(records.values())
    assert any(a["person_id"] in with_records and b["person_id"] in with_records
               for a, b in twins + namesakes)  # fmt: skip
