"""Identifiers that records of two people share: one row per identifier with the number of
pairs of its records that cannot be one person, by the fuzzy matcher's own notion of one
person (cdp.identity.fuzzy.identifier_conflicts): first names that no typing error, short form
(the name-variant list) or swap explains, or birth dates that no typing error explains (a
digit, two digits swapped, day and month swapped, a part missing). int_identity__identifier_guards
guards them as `different_people`.
"""

from cdp.identity.engine import identity_session
from cdp.identity.fuzzy import identifier_conflicts


def model(dbt, session):
    dbt.config(materialized="table")
    ids = identity_session(dbt, session)
    ids.view(dbt.ref("int_identity__records"), "_conflicts_records")
    ids.view(dbt.ref("int_identity__identifiers"), "_conflicts_identifiers")
    max_records = dbt.config.get("meta")["max_records_per_identifier"]
    table = identifier_conflicts(
        ids.con, "_conflicts_records", "_conflicts_identifiers", max_records
    )
    return ids.result(f"select * from {table}")
