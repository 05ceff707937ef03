"""Audience exports on a small warehouse written by hand: consent, hashing, manifest, cleanup."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cdp.activation import exports
from cdp.activation.exports import AudienceSourcesMissing, export_audiences
from cdp.activation.segments import HASHABLE_CONTACT_COLUMNS, Channel, Rule, Segment

BUILT_AT = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)

EMAIL = Channel("email", purposes=("email_marketing",), contact=("email",))
# A channel that needs two purposes at once.
PERSONAL_EMAIL = Channel(
    "personal_email", purposes=("email_marketing", "personalization"), contact=("email",)
)
ADS = Channel("ads", purposes=("third_party_sharing",), contact=("email", "phone"), hashed=True)
CHANNELS = {c.name: c for c in (EMAIL, PERSONAL_EMAIL, ADS)}


def _segment(name: str, channel: str) -> Segment:
    return Segment(
        name=name,
        description=f"The {name} audience.",
        channel=channel,
        owner="crm-marketing",
        rules=(Rule("rfm_segment", "in", ("champions", "loyal")),),
    )


def build_marts(con, members, consent, profiles):
    """The three marts tables the exports read, with the warehouse's column types."""
    con.execute(
        """
        create schema if not exists marts;
        create or replace table marts.segment_members (
            segment_id varchar, customer_id varchar, channel varchar,
            primary key (segment_id, customer_id)
        );
        create or replace table marts.customer_consent (
            customer_id varchar, purpose varchar, consent_status varchar, is_granted boolean,
            captured_at timestamptz, capture_source varchar, policy_version varchar
        );
        create or replace table marts.customer_profiles (
            customer_id varchar primary key, email varchar, phone varchar, first_name varchar
        );
        """
    )
    con.executemany("insert into marts.segment_members values (?, ?, ?)", members)
    con.executemany(
        "insert into marts.customer_consent values "
        "(?, ?, ?, ?, timestamptz '2026-10-01 09:00:00+00', 'checkout', 'v3.2')",
        [(c, p, s, s == "granted" if flag is None else flag) for c, p, s, flag in consent],
    )
    con.executemany("insert into marts.customer_profiles values (?, ?, ?, ?)", profiles)


def _profile(customer_id, email=None, phone=None):
    return (customer_id, email, phone, "Ana")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _parquet_ids(path: Path) -> list[str]:
    return pq.read_table(path).column("customer_id").to_pylist()


@pytest.fixture
def consent_warehouse(con):
    """Members of `win_back` (email) and `personal_offers` (email + personalization), each with
    the consent situation their id describes."""
    members = [
        ("win_back", c, "email")
        for c in (
            "c01_granted",
            "c02_denied",
            "c03_withdrawn",
            "c04_no_consent_row",
            "c05_other_purpose_only",
            "c06_no_record",
            "c07_granted_without_email",
            "c08_flag_says_granted",
            "c09_no_profile",
            "c10_granted",
        )
    ] + [
        ("personal_offers", c, "email")
        for c in (
            "m1_both_granted",
            "m2_personalization_denied",
            "m3_personalization_missing",
            "m4_email_withdrawn",
        )
    ]
    consent = [
        ("c01_granted", "email_marketing", "granted", None),
        ("c02_denied", "email_marketing", "denied", None),
        # Granted once, withdrawn later: the mart holds the current state.
        ("c03_withdrawn", "email_marketing", "withdrawn", None),
        ("c05_other_purpose_only", "sms_marketing", "granted", None),
        ("c05_other_purpose_only", "personalization", "granted", None),
        ("c06_no_record", "email_marketing", "no_record", None),
        ("c07_granted_without_email", "email_marketing", "granted", None),
        # An upstream flag that contradicts the status is not believed.
        ("c08_flag_says_granted", "email_marketing", "withdrawn", True),
        ("c09_no_profile", "email_marketing", "granted", None),
        ("c10_granted", "email_marketing", "granted", None),
        ("m1_both_granted", "email_marketing", "granted", None),
        ("m1_both_granted", "personalization", "granted", None),
        ("m2_personalization_denied", "email_marketing", "granted", None),
        ("m2_personalization_denied", "personalization", "denied", None),
        ("m3_personalization_missing", "email_marketing", "granted", None),
        ("m4_email_withdrawn", "email_marketing", "withdrawn", None),
        ("m4_email_withdrawn", "personalization", "granted", None),
    ]
    profiles = [
        _profile(c, email=f"{c}@example.org")
        for _, c, _ in members
        if c not in ("c07_granted_without_email", "c09_no_profile")
    ] + [_profile("c07_granted_without_email", email="  ", phone="+393331234567")]
    build_marts(con, members, consent, profiles)
    return con


def test_an_audience_export_never_contains_a_customer_without_consent_for_its_channel(
    consent_warehouse, tmp_path
):
    segments = [_segment("win_back", "email"), _segment("personal_offers", "personal_email")]
    results = export_audiences(
        consent_warehouse, tmp_path / "exports", segments, CHANNELS, BUILT_AT, log=lambda _: None
    )
    folder = tmp_path / "exports" / "audiences"

    win_back = folder / "win_back"
    assert [r["customer_id"] for r in _csv_rows(win_back.with_suffix(".csv"))] == [
        "c01_granted",
        "c10_granted",
    ]
    assert _parquet_ids(win_back.with_suffix(".parquet")) == ["c01_granted", "c10_granted"]
    personal = folder / "personal_offers"
    assert [r["customer_id"] for r in _csv_rows(personal.with_suffix(".csv"))] == [
        "m1_both_granted"
    ]
    assert _parquet_ids(personal.with_suffix(".parquet")) == ["m1_both_granted"]

    by_segment = {r.segment: r for r in results}
    assert by_segment["win_back"].members_in_segment == 10
    assert by_segment["win_back"].rows_exported == 2
    assert by_segment["win_back"].excluded_without_consent == 6
    # Consent but nothing to contact them by: a blank email, and no profile at all.
    assert by_segment["win_back"].excluded_without_contact == 2
    assert by_segment["personal_offers"].excluded_without_consent == 3


def test_the_consent_rule_is_applied_to_every_column_of_the_export(consent_warehouse, tmp_path):
    export_audiences(
        consent_warehouse,
        tmp_path,
        [_segment("win_back", "email")],
        CHANNELS,
        BUILT_AT,
        log=lambda _: None,
    )
    rows = _csv_rows(tmp_path / "audiences" / "win_back.csv")
    assert rows == [
        {"customer_id": "c01_granted", "email": "c01_granted@example.org"},
        {"customer_id": "c10_granted", "email": "c10_granted@example.org"},
    ]
    table = pq.read_table(tmp_path / "audiences" / "win_back.parquet")
    assert table.column_names == ["customer_id", "email"]


def test_a_hashed_channel_receives_digests_and_never_the_raw_values(con, tmp_path):
    members = [("lookalike", c, "ads") for c in ("a1", "a2", "a3", "a4")]
    consent = [(c, "third_party_sharing", "granted", None) for _, c, _ in members]
    profiles = [
        _profile("a1", email="  Ana.Rossi@Example.IT ", phone="+393331234567"),
        _profile("a2", email=None, phone="+4915112345678"),
        _profile("a3", email="luca.bianchi@example.it", phone=None),
        # Not E.164: nothing a platform could match, so no digest and no row.
        _profile("a4", email=None, phone="0331 234 5678"),
    ]
    build_marts(con, members, consent, profiles)
    [result] = export_audiences(
        con, tmp_path, [_segment("lookalike", "ads")], CHANNELS, BUILT_AT, log=lambda _: None
    )
    assert result.rows_exported == 3
    assert result.excluded_without_contact == 1

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    folder = tmp_path / "audiences"
    rows = _csv_rows(folder / "lookalike.csv")
    assert rows == [
        {
            "customer_id": "a1",
            "email_sha256": sha("ana.rossi@example.it"),
            "phone_sha256": sha("+393331234567"),
        },
        {"customer_id": "a2", "email_sha256": "", "phone_sha256": sha("+4915112345678")},
        {"customer_id": "a3", "email_sha256": sha("luca.bianchi@example.it"), "phone_sha256": ""},
    ]
    table = pq.read_table(folder / "lookalike.parquet")
    assert table.column_names == ["customer_id", "email_sha256", "phone_sha256"]
    assert table.column("email_sha256").to_pylist() == [r["email_sha256"] or None for r in rows]

    raw_values = [
        "Ana.Rossi",
        "ana.rossi",
        "luca.bianchi",
        "example.it",
        "Example.IT",
        "393331234567",
        "4915112345678",
        "0331 234 5678",
    ]
    for path in (folder / "lookalike.csv", folder / "lookalike.parquet", folder / "lookalike.json"):
        content = path.read_bytes()
        for raw in raw_values:
            assert raw.encode("utf-8") not in content, (path.name, raw)
    manifest = json.loads((folder / "lookalike.json").read_text(encoding="utf-8"))
    assert manifest["hashed"] is True
    assert manifest["columns"] == ["customer_id", "email_sha256", "phone_sha256"]


def test_the_manifest_carries_the_definition_counts_build_time_and_checksums(
    consent_warehouse, tmp_path
):
    segment = _segment("win_back", "email")
    export_audiences(consent_warehouse, tmp_path, [segment], CHANNELS, BUILT_AT, log=lambda _: None)
    folder = tmp_path / "audiences"
    manifest = json.loads((folder / "win_back.json").read_text(encoding="utf-8"))

    assert manifest["export"] == exports.EXPORT_KIND
    assert manifest["segment"] == "win_back"
    assert manifest["description"] == segment.description
    assert manifest["owner"] == "crm-marketing"
    assert manifest["channel"] == "email"
    assert manifest["required_purposes"] == ["email_marketing"]
    assert manifest["rules"] == [
        {"attribute": "rfm_segment", "op": "in", "value": ["champions", "loyal"]}
    ]
    assert manifest["built_at"] == "2026-11-28T06:00:00Z"
    assert manifest["members_in_segment"] == 10
    assert manifest["excluded_without_consent"] == 6
    assert manifest["excluded_without_contact"] == 2

    csv_rows = _csv_rows(folder / "win_back.csv")
    parquet = pq.ParquetFile(folder / "win_back.parquet")
    assert manifest["rows_exported"] == len(csv_rows) == parquet.metadata.num_rows == 2

    files = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert set(files) == {"win_back.csv", "win_back.parquet"}
    for name, digest in files.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest

    kv = {k.decode(): v.decode() for k, v in parquet.metadata.metadata.items()}
    assert kv["rows_exported"] == "2"
    assert kv["built_at"] == "2026-11-28T06:00:00Z"
    assert kv["export"] == exports.EXPORT_KIND
    definition = json.loads(kv["segment_definition"])
    assert definition["segment"] == "win_back"
    assert definition["rules"] == manifest["rules"]
    assert definition["required_purposes"] == ["email_marketing"]


def test_built_at_is_written_in_utc(consent_warehouse, tmp_path):
    rome = timezone(timedelta(hours=1))
    export_audiences(
        consent_warehouse,
        tmp_path,
        [_segment("win_back", "email")],
        CHANNELS,
        datetime(2026, 11, 28, 7, 0, tzinfo=rome),
        log=lambda _: None,
    )
    manifest = json.loads((tmp_path / "audiences" / "win_back.json").read_text(encoding="utf-8"))
    assert manifest["built_at"] == "2026-11-28T06:00:00Z"
    with pytest.raises(ValueError, match="no time zone"):
        export_audiences(
            consent_warehouse,
            tmp_path,
            [],
            CHANNELS,
            datetime(2026, 11, 28, 7, 0),
            log=lambda _: None,
        )


def test_a_rerun_writes_the_same_bytes_and_leaves_no_temporary_files(consent_warehouse, tmp_path):
    segments = [_segment("win_back", "email"), _segment("personal_offers", "personal_email")]
    folder = tmp_path / "audiences"

    def snapshot():
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}

    export_audiences(consent_warehouse, tmp_path, segments, CHANNELS, BUILT_AT, log=lambda _: None)
    first = snapshot()
    export_audiences(consent_warehouse, tmp_path, segments, CHANNELS, BUILT_AT, log=lambda _: None)
    assert snapshot() == first
    assert sorted(first) == sorted(
        f"{s}.{ext}" for s in ("win_back", "personal_offers") for ext in ("csv", "parquet", "json")
    )


def test_exports_of_a_removed_segment_are_cleaned_and_nothing_else(consent_warehouse, tmp_path):
    both = [_segment("win_back", "email"), _segment("personal_offers", "personal_email")]
    export_audiences(consent_warehouse, tmp_path, both, CHANNELS, BUILT_AT, log=lambda _: None)
    folder = tmp_path / "audiences"
    # Files the platform did not write stay, whatever their name.
    (folder / "notes.json").write_text('{"segment": "notes"}', encoding="utf-8")
    (folder / "notes.csv").write_text("a,b\n", encoding="utf-8")
    (folder / "broken.json").write_text("{", encoding="utf-8")

    lines: list[str] = []
    export_audiences(consent_warehouse, tmp_path, both[:1], CHANNELS, BUILT_AT, log=lines.append)

    assert sorted(p.name for p in folder.iterdir()) == [
        "broken.json",
        "notes.csv",
        "notes.json",
        "win_back.csv",
        "win_back.json",
        "win_back.parquet",
    ]
    assert any("personal_offers" in line and "removed" in line for line in lines)


def test_a_segment_with_no_members_exports_empty_files(consent_warehouse, tmp_path):
    [result] = export_audiences(
        consent_warehouse,
        tmp_path,
        [_segment("nobody_yet", "email")],
        CHANNELS,
        BUILT_AT,
        log=lambda _: None,
    )
    assert result.members_in_segment == result.rows_exported == 0
    assert (tmp_path / "audiences" / "nobody_yet.csv").read_text() == "customer_id,email\n"
    assert pq.read_table(tmp_path / "audiences" / "nobody_yet.parquet").num_rows == 0


def test_one_log_line_per_segment(consent_warehouse, tmp_path):
    lines: list[str] = []
    segments = [_segment("win_back", "email"), _segment("personal_offers", "personal_email")]
    export_audiences(consent_warehouse, tmp_path, segments, CHANNELS, BUILT_AT, log=lines.append)
    assert len(lines) == 2
    assert lines[0].startswith("audience [1/2] win_back -> email: 2 of 10 members exported")


def test_missing_marts_are_a_clear_error(con, tmp_path):
    with pytest.raises(AudienceSourcesMissing, match="marts.segment_members.*dbt build"):
        export_audiences(
            con, tmp_path, [_segment("win_back", "email")], CHANNELS, BUILT_AT, log=print
        )


def test_a_segment_on_an_unknown_channel_is_refused_before_writing(consent_warehouse, tmp_path):
    with pytest.raises(ValueError, match="segment 'win_back'.*'fax'"):
        export_audiences(
            consent_warehouse, tmp_path, [_segment("win_back", "fax")], CHANNELS, BUILT_AT
        )
    assert not (tmp_path / "audiences").exists()


def test_every_hashable_column_has_a_normalization():
    assert set(exports._NORMALIZED_CONTACT_SQL) == set(HASHABLE_CONTACT_COLUMNS)
