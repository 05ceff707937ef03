"""``cdp-eval``: identity resolution measured against the ground truth.

Reads the resolved ids (``marts.customer_source_records``, or before the marts exist
``intermediate.int_identity__customer_ids``) and ``record_person.csv``, and prints:

- pairwise precision, recall and F1 over pairs of records of one person, and the same among
  the records that carry a name (all a model on names, birth dates and addresses can see);
- recall over the pairs the data can join: pairs whose records are connected through
  identifiers they carry (email, phone, account, card, device, handle), directly or by a chain;
  the rest share no identifier, and only fuzzy matching can find them;
- cluster-level B-cubed precision and recall;
- over-merged profiles (holding more than one person) and under-merged persons (spread over
  more than one profile);
- with the golden profiles, for each person's main profile (the one holding most of its
  records): the share whose golden email, phone, country and birth date equal the truth, among
  those whose profile has the attribute, and how many have it;
- beside each figure, the same figure for a plain Splink model on the same staged records
  (``cdp.evaluation.baseline``), computed in the same run.

Records the truth names but the warehouse does not hold (rows rejected at load) are counted
and left out. The pipeline never reads the truth: this command is for measurement only.

    cdp-eval --warehouse data/warehouse/cdp.duckdb --truth data/truth
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from cdp.evaluation.baseline import BASELINE_THRESHOLD, plain_splink
from cdp.evaluation.cli import run_measurement
from cdp.identity.components import connected_components
from cdp.warehouse import table_exists

GOLDEN_ATTRIBUTES = ("email", "phone", "country", "birth_date")


def _pairs(column: str) -> str:
    return f"sum({column} * ({column} - 1) / 2)"


def _pair_counts(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int, int]:
    """Pairs of records of one person, pairs in one profile, and pairs in both, among the
    rows (``person_id``, ``customer_id``) of ``relation``."""
    counts = con.execute(
        f"""
        select
            (select {_pairs("n")} from (select count(*) n from {relation} group by person_id)),
            (select {_pairs("n")} from (select count(*) n from {relation} group by customer_id)),
            (select {_pairs("n")} from (
                select count(*) n from {relation} group by person_id, customer_id))
        """
    ).fetchall()[0]
    return tuple(int(count or 0) for count in counts)


def _pairwise(true_pairs: int, predicted_pairs: int, correct_pairs: int) -> dict[str, float]:
    precision = correct_pairs / predicted_pairs if predicted_pairs else 1.0
    recall = correct_pairs / true_pairs if true_pairs else 1.0
    total = precision + recall
    f1 = 2 * precision * recall / total if total else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def measure(
    con: duckdb.DuckDBPyConnection, truth_dir: Path, resolved: str | None = None
) -> dict[str, float | int]:
    """All the figures, on the warehouse open on ``con``, for the platform's customer ids, or
    for ``resolved`` (a query of ``record_key, customer_id``) when given; the golden records
    are the platform's own and are measured for it alone."""
    con.execute(
        "create or replace temp table truth_records as "
        "select source || ':' || record_id as record_key, person_id "
        "from read_csv(?, all_varchar = true, header = true)",
        [str(truth_dir / "record_person.csv")],
    )
    golden = resolved is None
    if resolved is None and table_exists(con, "marts", "customer_source_records"):
        resolved = (
            "select source || ':' || record_id as record_key, customer_id "
            "from marts.customer_source_records"
        )
    elif resolved is None:
        resolved = "select record_key, customer_id from intermediate.int_identity__customer_ids"
    con.execute(
        f"""
        create or replace temp table evaluated as
        select truth_records.record_key, truth_records.person_id, resolved.customer_id
        from truth_records
        inner join ({resolved}) as resolved using (record_key)
        """
    )
    figures: dict[str, float | int] = {}
    figures["truth_records"], figures["evaluated_records"] = con.execute(
        "select (select count(*) from truth_records), (select count(*) from evaluated)"
    ).fetchall()[0]

    true_pairs, predicted_pairs, correct_pairs = _pair_counts(con, "evaluated")
    figures["true_pairs"] = true_pairs
    figures["predicted_pairs"] = predicted_pairs
    figures["correct_pairs"] = correct_pairs
    figures.update(_pairwise(true_pairs, predicted_pairs, correct_pairs))
    # The same among the records that carry a name: all that a record-linkage model on names,
    # birth dates and addresses can see (the rest join by identifiers or not at all).
    # And among those that carry a name and a birth date or an address besides: what the
    # outside data sets (FEBRL, a register) carry; a name alone is not enough to tell people
    # apart, whatever the model.
    for prefix, condition in (
        ("named", "true"),
        ("evidenced", "records.birth_date is not null or records.postcode is not null"),
    ):
        counts = _pair_counts(
            con,
            f"""(
                select evaluated.* from evaluated
                inner join intermediate.int_identity__records as records using (record_key)
                where (records.first_name is not null or records.last_name is not null)
                    and ({condition})
            )""",
        )
        figures.update({f"{prefix}_{key}": value for key, value in _pairwise(*counts).items()})

    # Pairs the data can join: records of one person connected through identifiers they carry.
    components, _ = connected_components(
        con,
        """
        select identifiers.record_key as left_node,
            evaluated.person_id || '|' || identifiers.identifier_key as right_node
        from intermediate.int_identity__identifiers as identifiers
        inner join evaluated using (record_key)
        """,
    )
    joinable_pairs, joinable_correct = con.execute(
        f"""
        with linked as (
            select evaluated.*, coalesce(components.component, evaluated.record_key) as link
            from evaluated left join {components} as components
                on evaluated.record_key = components.node
        )
        select
            (select {_pairs("n")} from (select count(*) n from linked group by person_id, link)),
            (select {_pairs("n")} from (
                select count(*) n from linked group by person_id, link, customer_id))
        """
    ).fetchall()[0]
    figures["joinable_pairs"] = int(joinable_pairs or 0)
    figures["recall_of_joinable"] = joinable_correct / joinable_pairs if joinable_pairs else 1.0
    figures["unjoinable_pair_share"] = 1 - joinable_pairs / true_pairs if true_pairs else 0.0

    bcubed = con.execute(
        """
        with sizes as (
            select *,
                count(*) over (partition by person_id, customer_id) as both_n,
                count(*) over (partition by customer_id) as cluster_n,
                count(*) over (partition by person_id) as person_n
            from evaluated
        )
        select avg(both_n / cluster_n), avg(both_n / person_n) from sizes
        """
    ).fetchall()[0]
    figures["bcubed_precision"], figures["bcubed_recall"] = bcubed

    merges = con.execute(
        """
        select
            (select count(*) from (select customer_id from evaluated group by customer_id
                having count(distinct person_id) > 1)),
            (select count(distinct person_id) from evaluated where customer_id in (
                select customer_id from evaluated group by customer_id
                having count(distinct person_id) > 1)),
            (select count(*) from (select person_id from evaluated group by person_id
                having count(distinct customer_id) > 1)),
            (select count(distinct person_id) from evaluated),
            (select count(distinct customer_id) from evaluated)
        """
    ).fetchall()[0]
    (
        figures["over_merged_profiles"],
        figures["persons_in_over_merged_profiles"],
        figures["under_merged_persons"],
        figures["persons"],
        figures["profiles"],
    ) = merges

    if golden and table_exists(con, "marts", "customer_profiles"):
        figures.update(_golden(con, truth_dir))
    return figures


def _golden(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> dict[str, float | int]:
    """Golden attributes of each person's main profile (the one holding most of its records)."""
    con.execute(
        "create or replace temp table persons as "
        "select * from read_csv(?, all_varchar = true, header = true)",
        [str(truth_dir / "persons.csv")],
    )
    columns = {
        "email": "email",
        "phone": "phone",
        "country": "country_code",
        "birth_date": "birth_date",
    }
    con.execute(
        """
        create or replace temp table main_profiles as
        select person_id, customer_id from evaluated
        group by person_id, customer_id
        qualify row_number() over (
            partition by person_id order by count(*) desc, customer_id
        ) = 1
        """
    )
    out: dict[str, float | int] = {}
    for attribute, column in columns.items():
        with_truth, compared, equal = con.execute(
            f"""
            select count(*),
                count(profiles.{column}),
                count(*) filter (where cast(profiles.{column} as varchar) = persons.{attribute})
            from main_profiles
            inner join persons using (person_id)
            inner join marts.customer_profiles as profiles using (customer_id)
            where nullif(persons.{attribute}, '') is not null
            """
        ).fetchall()[0]
        out[f"golden_{attribute}_compared"] = compared
        out[f"golden_{attribute}_equal"] = equal / compared if compared else 0.0
        out[f"golden_{attribute}_filled"] = compared / with_truth if with_truth else 0.0
    return out


def report(figures: dict[str, float | int], baseline: dict[str, float | int] | None = None) -> str:
    """The figures; with ``baseline``, each beside the plain Splink model's."""
    f, b = figures, baseline or {}

    def row(label: str, key: str, spec: str, note: str = "") -> str:
        text = f"{label:<30}{format(f[key], spec):>12}"
        if baseline is not None:
            text += f"{format(b[key], spec):>14}"
        return text + note

    header = f"{'':<30}{'pipeline':>12}" + (f"{'plain Splink':>14}" if baseline else "")
    lines = [
        f"records in the truth          {f['truth_records']:>12,}",
        f"  resolved in the warehouse   {f['evaluated_records']:>12,}",
        "",
        header,
        row("persons", "persons", ","),
        row("profiles", "profiles", ","),
        row("pairwise precision", "precision", ".4f"),
        row("pairwise recall", "recall", ".4f"),
        row("pairwise F1", "f1", ".4f"),
        row("  among named records: P", "named_precision", ".4f"),
        row("  R", "named_recall", ".4f"),
        row("  F1", "named_f1", ".4f", "   (records with a first or last name)"),
        row("  with birth date/address: P", "evidenced_precision", ".4f"),
        row("  R", "evidenced_recall", ".4f"),
        row("  F1", "evidenced_f1", ".4f", "   (named, and a birth date or a postcode)"),
        row(
            "recall of joinable pairs",
            "recall_of_joinable",
            ".4f",
            f"   ({f['joinable_pairs']:,} of {f['true_pairs']:,} true pairs share an identifier"
            " chain)",
        ),
        row("B-cubed precision", "bcubed_precision", ".4f"),
        row("B-cubed recall", "bcubed_recall", ".4f"),
        row("over-merged profiles", "over_merged_profiles", ","),
        row("persons in them", "persons_in_over_merged_profiles", ","),
        row("under-merged persons", "under_merged_persons", ","),
        f"true pairs no identifier joins {f['unjoinable_pair_share']:>11.2%}",
    ]
    if baseline is not None:
        lines.append(
            f"(plain Splink: the library's default comparisons, trained without labels, "
            f"threshold {BASELINE_THRESHOLD}; cdp.evaluation.baseline)"
        )
    if "golden_email_equal" in f:
        lines.append("")
        lines.append(
            "golden record of each person's main profile: equal to the truth where filled"
            " (filled: share of persons with a true value whose profile has one)"
        )
        for attribute in GOLDEN_ATTRIBUTES:
            lines.append(
                f"  {attribute:<12}{f[f'golden_{attribute}_equal']:>9.2%}"
                f" of {f[f'golden_{attribute}_compared']:>7,}"
                f"   filled {f[f'golden_{attribute}_filled']:>7.2%}"
            )
    return "\n".join(lines)


#: Thresholds of the fuzzy matcher at which ``threshold_curve`` measures.
CURVE_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)


def _profile_limits() -> dict[str, int]:
    """``meta.max_values_per_profile`` of int_identity__clusters, as dbt reads it."""
    import yaml

    from cdp.config import DBT_PROJECT_DIR

    path = DBT_PROJECT_DIR / "models" / "intermediate" / "identity" / "_identity__models.yml"
    for model in yaml.safe_load(path.read_text())["models"]:
        if model["name"] == "int_identity__clusters":
            config = model.get("config", {})
            meta = config.get("meta", model.get("meta", {}))
            return dict(meta["max_values_per_profile"])
    raise LookupError(f"int_identity__clusters has no max_values_per_profile in {path}")


def threshold_curve(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> str:
    """The fuzzy matcher scored once more on the warehouse's records with the model the
    pipeline kept (trained as the pipeline trains it when there is none), keeping every pair
    from the lowest threshold on with the refusal that refused it. Prints what each refusal
    refuses at the pipeline's threshold (true pairs among them), and the figures of the
    clusters rebuilt as the pipeline builds them, with the fuzzy pairs at each threshold of
    ``CURVE_THRESHOLDS``: pairwise precision, recall and F1, the recall of the pairs that share
    a chain of identifiers, and the F1 among the records that carry a name and a birth date or
    a postcode (evid. F1), where a lower threshold buys what the names alone can join."""
    from cdp.identity.clustering import cluster_records
    from cdp.identity.fuzzy import REFUSALS, FuzzyConfig, fuzzy_matches, kept_settings

    chosen = FuzzyConfig().threshold_match_probability
    config = FuzzyConfig(threshold_match_probability=min(CURVE_THRESHOLDS), keep_refused=True)
    trained = (
        kept_settings(con, "intermediate.int_identity__fuzzy_model")
        if table_exists(con, "intermediate", "int_identity__fuzzy_model")
        else None
    )
    pairs, model = fuzzy_matches(con, "intermediate.int_identity__records", config, trained=trained)
    con.execute(
        f"""
        create or replace temp table curve_pairs as
        select pairs.*, coalesce(l.person_id = r.person_id, false) as is_true
        from {pairs} as pairs
        left join truth_records as l on pairs.left_record_key = l.record_key
        left join truth_records as r on pairs.right_record_key = r.record_key
        """
    )
    households = model.households.describe() if model.households else "no records"
    lines = [
        "",
        f"households: {households}; refusals applied: {', '.join(model.refusals) or 'none'}",
        f"refusals of the fuzzy matcher at its threshold {chosen}:",
    ]
    for name in (*REFUSALS, "ambiguous"):
        refused, true = con.execute(
            "select count(*), count(*) filter (where is_true) from curve_pairs "
            "where refused_by = ? and match_probability >= ?",
            [name, chosen],
        ).fetchall()[0]
        lines.append(f"  {name:<26}{refused:>8,} pairs refused, {true:,} of them true")
    lines += [
        "",
        "threshold of the fuzzy matcher (clusters rebuilt; ambiguity judged from 0.5 on):",
        f"  {'threshold':>9}{'fuzzy pairs':>13}{'precision':>11}{'recall':>9}{'F1':>8}"
        f"{'joinable':>10}{'evid. F1':>10}",
    ]
    limits = _profile_limits()
    # the last row: the pipeline's threshold with no refusal (and so no ambiguity)
    for threshold, refusing in [*((t, True) for t in CURVE_THRESHOLDS), (chosen, False)]:
        con.execute(
            "create or replace temp view curve_fuzzy as select * from curve_pairs "
            f"where ({not refusing} or refused_by is null) and match_probability >= {threshold}"
        )
        clusters, _split = cluster_records(
            con,
            records="intermediate.int_identity__records",
            identifiers="intermediate.int_identity__identifiers",
            guards="intermediate.int_identity__identifier_guards",
            fuzzy="curve_fuzzy",
            limits=limits,
        )
        count = con.execute("select count(*) from curve_fuzzy").fetchall()[0][0]
        figures = measure(
            con,
            truth_dir,
            resolved=f"select record_key, cluster_key as customer_id from {clusters}",
        )
        mark = "  <- the pipeline's" if threshold == chosen else ""
        if not refusing:
            mark = "  (no refusals)"
        lines.append(
            f"  {threshold:>9}{count:>13,}{figures['precision']:>11.4f}{figures['recall']:>9.4f}"
            f"{figures['f1']:>8.4f}{figures['recall_of_joinable']:>10.4f}"
            f"{figures['evidenced_f1']:>10.4f}{mark}"
        )
    return "\n".join(lines)


def measure_beside_baseline(
    con: duckdb.DuckDBPyConnection, truth_dir: Path, *, curve: bool = True
) -> str:
    """The platform's figures and the plain Splink model's, computed in this run; with
    ``curve``, what the refusals refuse and the figures at several thresholds."""
    figures = measure(con, truth_dir)
    clusters = plain_splink(con, log=print)
    baseline = measure(
        con, truth_dir, resolved=f"select record_key, cluster_id as customer_id from {clusters}"
    )
    text = report(figures, baseline)
    if curve:
        text += "\n" + threshold_curve(con, truth_dir)
    return text


def main(argv: list[str] | None = None) -> int:
    return run_measurement(
        argv,
        prog="cdp-eval",
        description="Identity resolution and golden records against the ground truth",
        truth_files=("record_person.csv",),
        not_built="identity resolution has not run",
        measure_and_report=measure_beside_baseline,
    )


if __name__ == "__main__":
    sys.exit(main())
