"""The plain library baseline that every identity figure is read against.

A Splink model as the library gives it: its default comparisons on the fields the platform's
model reads (first and last name, birth date, street, postcode, city, email, phone), blocking
on each of them, trained without labels (the prior from exact name and birth-date pairs, u by
random sampling, m by expectation maximisation on birth date and on names), pairs kept at the
same threshold as the platform's (0.99) and clustered with Splink's own connected components.
No identifier rules, guards, vetoes or survivorship: what a data team would get from the
library in an afternoon, on the same staged records (``intermediate.int_identity__records``).

It runs on a private in-memory DuckDB, so the warehouse is only read. Measurement only: the
pipeline never runs it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from cdp.duckdb_budget import connect

BASELINE_THRESHOLD = 0.99
FIELDS = ("first_name", "last_name", "birth_date", "street", "postcode", "city", "email", "phone")


def plain_splink(
    con: duckdb.DuckDBPyConnection,
    records_sql: str = "select * from intermediate.int_identity__records",
    log: Callable[[str], None] = lambda _message: None,
) -> str:
    """Cluster the records ``records_sql`` selects (``record_key`` and the fields above) with
    the plain Splink model; returns a temporary table ``(record_key, cluster_id)`` on ``con``."""
    started = time.monotonic()
    records = con.sql(
        f"""
        select record_key as unique_id,
            nullif(lower(trim(strip_accents(first_name))), '') as first_name,
            nullif(lower(trim(strip_accents(last_name))), '') as last_name,
            birth_date,
            nullif(lower(trim(street)), '') as street,
            nullif(upper(replace(postcode, ' ', '')), '') as postcode,
            nullif(lower(trim(city)), '') as city,
            nullif(lower(trim(email)), '') as email,
            nullif(trim(phone), '') as phone
        from ({records_sql})
        """
    ).to_arrow_table()
    private = connect()
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    # Splink's training notes (levels not observed, defaults used) are part of being plain.
    splink_logger.setLevel(logging.ERROR)
    try:
        private.register("records_arrow", records)
        private.execute("create table records as select * from records_arrow")
        private.unregister("records_arrow")
        clusters = _cluster(private, log)
        con.register("baseline_arrow", clusters)
        con.execute(
            "create or replace temp table baseline_clusters as "
            "select unique_id as record_key, cluster_id from baseline_arrow"
        )
        con.unregister("baseline_arrow")
    finally:
        splink_logger.setLevel(level)
        private.close()
    log(f"plain Splink baseline: {len(records):,} records in {time.monotonic() - started:.1f} s")
    return "baseline_clusters"


def _cluster(con: duckdb.DuckDBPyConnection, log: Callable[[str], None]):
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("street"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("birth_date"),
            block_on("postcode", "last_name"),
            block_on("email"),
            block_on("phone"),
        ],
    )
    api = DuckDBAPI(connection=con)
    linker = Linker(api.register("records"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    for columns in (("birth_date",), ("first_name", "last_name")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
        except ValueError as error:
            # Splink refuses a probability that EM drove to 0 (underflow) and stops the
            # session before it changes the model: the model keeps what it had, and says so
            if "below the minimum allowed value" not in str(error):
                raise
            log(
                f"plain Splink baseline: EM blocked on {' and '.join(columns)} stopped "
                f"({str(error).split('. ')[0]}); its parameters stay as before that session"
            )
    predictions = linker.inference.predict(threshold_match_probability=BASELINE_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=BASELINE_THRESHOLD
    )
    return con.sql(f"select unique_id, cluster_id from {clusters.physical_name}").to_arrow_table()
