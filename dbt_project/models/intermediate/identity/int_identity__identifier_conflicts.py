"""Identifiers that records of two people share: one row per identifier with the number of
pairs of its records that cannot be one person, by the fuzzy matcher's own notion of one
person (cdp.identity.fuzzy.identifier_conflicts): first names that no typing error, short form
(the name-variant list) or swap explains, or birth dates that no typing error explains (a
digit, two digits swapped, day and month swapped, a part missing). int_identity__identifier_guards
guards them as `different_people`.
"""

from cdp.identity.fuzzy import identifier_conflicts


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("int_identity__records").create_view("_conflicts_records")
    dbt.ref("int_identity__identifiers").create_view("_conflicts_identifiers")
    max_records = dbt.config.get("meta")["max_records_per_identifier"]
    table = identifier_conflicts(
        session, "_conflicts_records", "_conflicts_identifiers", max_records
    )
    return session.sql(f"select * from {table}")
