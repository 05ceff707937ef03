"""The trained probabilistic matching model, kept between runs: one row.

Training (the prior, u by random sampling, m by expectation maximisation) is a third of the
fuzzy matcher's time at a million persons. A nightly run scores the day's records with the
model it kept; the model is trained again when there is none, when the comparisons or rules
changed (``fingerprint``), when the named records grew or shrank by more than
cdp.identity.fuzzy.RETRAIN_CHANGE since it was trained, or when asked:
``dbt run --select int_identity__fuzzy_model+ --vars '{retrain_fuzzy_model: true}'``.
``CDP_FUZZY_MODEL`` names a JSON file holding such a row (its columns as keys) to score with
instead, so that two builds can be compared on one model. The row holds parameters only: no
record or value of a person.
"""

import json
import os
from pathlib import Path

from cdp.identity.fuzzy import (
    KeptModel,
    count_named_records,
    model_fingerprint,
    train_model,
    why_train,
)


def _kept(session, this) -> KeptModel | None:
    """The row this model holds from its last run, if any."""
    exists = session.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [this.database, this.schema, this.identifier],
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = session.execute(
        f"select fingerprint, named_records, settings, trained_because from {this}"
    ).fetchall()
    if len(rows) != 1:
        return None
    fingerprint, named, settings, because = rows[0]
    return KeptModel(fingerprint, named, json.loads(settings), because)


def _chosen(dbt, session) -> KeptModel:
    pinned = os.environ.get("CDP_FUZZY_MODEL")
    if pinned:
        row = json.loads(Path(pinned).read_text(encoding="utf-8"))
        return KeptModel(
            row["fingerprint"], row["named_records"], row["settings"], f"read from {pinned}"
        )
    fingerprint = model_fingerprint()
    kept = _kept(session, dbt.this)
    asked = str(dbt.config.get("retrain")).strip().lower() in ("true", "1", "yes")
    # the records are counted only when a kept model could still serve
    named = count_named_records(session, "_fuzzy_model_records") if kept else 0
    reason = why_train(kept, named, fingerprint, asked=asked)
    if reason is None:
        return kept
    # a training is rare (see above): its few lines (prior, EM rounds, smoothed levels) go to
    # dbt's output, where the run's log shows them
    settings, named = train_model(
        session, "_fuzzy_model_records", log=lambda line: print(f"fuzzy model: {line}")
    )
    return KeptModel(fingerprint, named, settings, reason)


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("int_identity__records").create_view("_fuzzy_model_records")
    chosen = _chosen(dbt, session)
    return session.sql(
        "select ? as fingerprint, ?::bigint as named_records, ? as settings, ? as trained_because",
        params=[
            chosen.fingerprint,
            chosen.named_records,
            json.dumps(chosen.settings, sort_keys=True),
            chosen.trained_because,
        ],
    )
