"""Pairs of records the probabilistic matcher judged: one row per pair over the threshold.

A Splink (Fellegi–Sunter) model on the named records of int_identity__records, scored with
the model int_identity__fuzzy_model keeps (trained without labels, again when the records
changed by a tenth). A pair whose match probability reaches 0.99 is accepted unless a refusal
holds (twins, siblings, a parent and child of one name: cdp.identity.fuzzy.REFUSALS, applied
when the records show households; docs/identity_fuzzy.md#refusals) or it is ambiguous;
`refused_by` names why, and is null for the accepted pairs that identity joins. Columns:
left_record_key < right_record_key, match_probability, match_weight, the blocking rule that
found the pair, the level each comparison reached (first_name_level, …) for audit, refused_by.

A nightly run scores only the pairs of records that are new or changed since the last run:
the last run's pairs and, in `<this>__compared`, a digest of each record it compared are read
back; the pairs of two unchanged records stand as judged. Every pair is scored again when the
model, the refusals applied or the blocking changed, when the two tables do not agree, and with
`--vars '{identity_from_scratch: true}'` (which `make full-refresh` passes). On Spark the
candidate pairs are scored by Splink's Spark backend (cdp.spark.identity), every pair each run,
as every table there is built whole.
"""

from cdp.identity.engine import identity_session
from cdp.identity.fuzzy import FuzzyConfig, KeptMatches, fuzzy_matches, kept_settings
from cdp.warehouse import column_names


def _kept(session, this) -> KeptMatches | None:
    """The last run's pairs and record digests, when both are there (pairs written by a version
    that did not keep the refused ones have no ``refused_by``: every pair is scored)."""
    pairs = column_names(session, this.schema, this.identifier)
    digests = column_names(session, this.schema, f"{this.identifier}__compared")
    if "refused_by" not in pairs or "digest" not in digests:
        return None
    return KeptMatches(pairs=str(this), records=_state(this))


def _state(this) -> str:
    """The table the record digests are kept in, beside the model's own."""
    return f'"{this.database}"."{this.schema}"."{this.identifier}__compared"'


def model(dbt, session):
    dbt.config(materialized="table")
    ids = identity_session(dbt, session)
    ids.view(dbt.ref("int_identity__records"), "_fuzzy_records")
    ids.view(dbt.ref("int_identity__fuzzy_model"), "_fuzzy_model")
    trained = kept_settings(ids.con, "_fuzzy_model")

    incremental = not (ids.from_scratch or ids.on_spark)
    pairs, _model = fuzzy_matches(
        ids.con,
        "_fuzzy_records",
        FuzzyConfig(keep_refused=True),
        trained=trained,
        kept=_kept(session, dbt.this) if incremental else None,
        keep_as=_state(dbt.this) if not ids.on_spark else None,
        predict=ids.predict,
    )
    return ids.result(f"select * from {pairs}")
