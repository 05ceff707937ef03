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

from cdp.identity.engine import IdentitySession, identity_session
from cdp.identity.fuzzy import (
    KeptModel,
    count_named_records,
    model_fingerprint,
    train_model,
    why_train,
)


def _kept(ids: IdentitySession) -> KeptModel | None:
    """The row this model holds from its last run, if any."""
    previous = ids.previous("_fuzzy_model_previous")
    if previous is None:
        return None
    rows = ids.con.execute(
        f"select fingerprint, named_records, settings, trained_because from {previous}"
    ).fetchall()
    if len(rows) != 1:
        return None
    fingerprint, named, settings, because = rows[0]
    return KeptModel(fingerprint, named, json.loads(settings), because)


def _chosen(dbt, ids: IdentitySession) -> KeptModel:
    pinned = os.environ.get("CDP_FUZZY_MODEL")
    if pinned:
        row = json.loads(Path(pinned).read_text(encoding="utf-8"))
        return KeptModel(
            row["fingerprint"], row["named_records"], row["settings"], f"read from {pinned}"
        )
    fingerprint = model_fingerprint()
    kept = _kept(ids)
    asked = str(dbt.config.get("retrain")).strip().lower() in ("true", "1", "yes")
    # the records are counted only when a kept model could still serve
    named = count_named_records(ids.con, "_fuzzy_model_records") if kept else 0
    reason = why_train(kept, named, fingerprint, asked=asked)
    if reason is None:
        return kept
    # a training is rare (see above): its few lines (prior, EM rounds, smoothed levels) go to
    # dbt's output, where the run's log shows them
    settings, named = train_model(
        ids.con, "_fuzzy_model_records", log=lambda line: print(f"fuzzy model: {line}")
    )
    return KeptModel(fingerprint, named, settings, reason)


def model(dbt, session):
    dbt.config(materialized="table")
    ids = identity_session(dbt, session)
    ids.view(dbt.ref("int_identity__records"), "_fuzzy_model_records")
    chosen = _chosen(dbt, ids)
    return ids.result(
        "select ? as fingerprint, ?::bigint as named_records, ? as settings, ? as trained_because",
        params=[
            chosen.fingerprint,
            chosen.named_records,
            json.dumps(chosen.settings, sort_keys=True),
            chosen.trained_because,
        ],
    )
