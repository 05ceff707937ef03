"""Outside labelled data landed through the export contract: it loads as any export would."""

from __future__ import annotations

import csv

from cdp.duckdb_budget import connect
from cdp.evaluation.outside import land_febrl
from cdp.ingest.loader import load_file_type
from cdp.sources import source_file


def _row(rec_id: str, given: str, surname: str, dob: str) -> dict[str, str]:
    return {
        "rec_id": rec_id, "given_name": given, "surname": surname, "street_number": "7",
        "address_1": "wallaby place", "address_2": "delmar", "suburb": "cleveland",
        "postcode": "2119", "state": "sa", "date_of_birth": dob, "soc_sec_id": "1804974",
    }  # fmt: skip


def test_febrl_rows_land_as_crm_exports_with_their_truth_apart(tmp_path):
    rows = [
        _row("rec-1-org", "mitchell", "green", "19560409"),
        _row("rec-1-dup-0", "mitchel", "green", "19560904"),
        _row("rec-2-org", "harley", "mccarthy", "19551192"),  # no such day: left blank
        _row("rec-3-org", "", "mason", ""),
    ]
    landed = land_febrl(rows, tmp_path)
    assert (landed.records, landed.persons, landed.blank_birth_dates) == (4, 3, 1)
    con = connect(str(tmp_path / "wh.duckdb"))
    report = load_file_type(con, tmp_path / "landing", source_file("crm.contacts"), log=print)
    assert (report.rows_loaded, report.rows_rejected) == (4, 0)
    loaded = con.execute(
        "select contact_id, first_name, birth_date::varchar, street, city "
        "from raw.crm__contacts order by _row_number"
    ).fetchall()
    con.close()
    assert loaded[0] == ("C-1", "mitchell", "1956-04-09", "7 wallaby place", "cleveland")
    assert loaded[1][2] == "1956-09-04" and loaded[2][2] is None
    with (tmp_path / "truth" / "record_person.csv").open() as handle:
        truth = list(csv.DictReader(handle))
    assert [(t["record_id"], t["person_id"]) for t in truth] == [
        ("C-1", "P-1"), ("C-2", "P-1"), ("C-3", "P-2"), ("C-4", "P-3"),
    ]  # fmt: skip
    # The exports carry no truth: the person ids are only in the truth folder.
    export = next((tmp_path / "landing").rglob("contacts.csv")).read_text(encoding="utf-8")
    assert "rec-" not in export and "P-1" not in export
