"""The plain Splink baseline (cdp.evaluation.baseline) on a small hand-built table."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pyarrow as pa
from splink.internals.linker_components.training import LinkerTraining

from cdp.duckdb_budget import connect
from cdp.evaluation.baseline import plain_splink


def _records(con, persons: int = 300) -> str:
    """Persons with one to three copies each, a few fields blanked in the copies."""
    rng = random.Random(3)
    rows = []
    for person in range(persons):
        first = "".join(rng.choice("aeioubcdfglmnprst") for _ in range(6)).title()
        last = "".join(rng.choice("aeioubcdfglmnprst") for _ in range(8)).title()
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(25_000))
        for copy in range(rng.choice((1, 2, 3))):
            rows.append(
                {
                    "record_key": f"crm:{person}-{copy}",
                    "first_name": first,
                    "last_name": last,
                    "birth_date": None if copy == 2 else born,
                    "street": f"Via {last} {person % 90}",
                    "postcode": f"{10000 + person:05d}",
                    "city": rng.choice(("Milano", "Torino", "Roma")),
                    "email": f"{first}.{last}@example.org".lower() if copy != 1 else None,
                    "phone": None,
                }
            )
    con.register("_rows", pa.Table.from_pylist(rows))
    con.execute("create table records as select * from _rows")
    return "select * from records"


def test_an_em_session_splink_stops_is_reported_and_the_baseline_still_clusters(monkeypatch):
    # Splink raises when EM drives an m-probability to 0 (it did on one day's sample, in the
    # session blocked on names); the session then leaves the model as it was
    trained = LinkerTraining.estimate_parameters_using_expectation_maximisation
    sessions: list[object] = []

    def em(self, blocking_rule, *args, **kwargs):
        sessions.append(blocking_rule)
        if len(sessions) == 2:  # the second session: blocked on first and last name
            raise ValueError(
                "m_probability value 0.0 is below the minimum allowed value of 1e-300. More."
            )
        return trained(self, blocking_rule, *args, **kwargs)

    monkeypatch.setattr(LinkerTraining, "estimate_parameters_using_expectation_maximisation", em)
    con = connect()
    records = _records(con)
    lines: list[str] = []
    clusters = plain_splink(con, records, log=lines.append)
    stopped = [line for line in lines if "stopped" in line]
    assert stopped == [
        "plain Splink baseline: EM blocked on first_name and last_name stopped (m_probability "
        "value 0.0 is below the minimum allowed value of 1e-300); its parameters stay as "
        "before that session"
    ]
    total, keys, clustered = con.execute(
        f"""
        select count(*), count(distinct record_key),
            count(*) filter (where cluster_id in (
                select cluster_id from {clusters} group by all having count(*) > 1))
        from {clusters}
        """
    ).fetchall()[0]
    assert total == keys == con.execute("select count(*) from records").fetchall()[0][0]
    assert clustered > 0  # the model the first session trained still pairs the copies
