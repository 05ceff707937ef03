"""Pairs of records the probabilistic matcher judged to be one person: one row per pair.

A Splink (Fellegi–Sunter) model on the named records of int_identity__records, scored with
the model int_identity__fuzzy_model keeps (trained without labels, again when the records
changed by a tenth), keeps pairs whose match probability reaches 0.99 and that pass the
refusals (twins, siblings, a parent and child of one name: cdp.identity.fuzzy.REFUSALS,
applied when the records show households; docs/identity_fuzzy.md#refusals). Columns:
left_record_key < right_record_key, match_probability, match_weight, the blocking rule that
found the pair, and the level each comparison reached (first_name_level, …) for audit.
"""

import json

from cdp.identity.fuzzy import fuzzy_matches


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("int_identity__records").create_view("_fuzzy_records")
    dbt.ref("int_identity__fuzzy_model").create_view("_fuzzy_model")
    kept = session.execute("select settings from _fuzzy_model").fetchall()
    trained = json.loads(kept[0][0]) if kept else None
    pairs, _model = fuzzy_matches(session, "_fuzzy_records", trained=trained)
    return session.sql(f"select * exclude (refused_by) from {pairs}")
