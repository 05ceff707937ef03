"""Survivorship: the golden record of each customer, by rules declared in one YAML file.

``dbt_project/identity/survivorship.yml`` names, per attribute, the rule that picks its value
among the records of one customer (``most_recent``, ``most_frequent``, ``source_priority``),
the sources allowed to supply it (most trusted first), and the attributes that move with it
(taken from the same record). This module checks the file and turns it into DuckDB SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from cdp.config import DBT_PROJECT_DIR

RULES_PATH = DBT_PROJECT_DIR / "identity" / "survivorship.yml"
RULES = ("most_recent", "most_frequent", "source_priority")


class SurvivorshipError(ValueError):
    """The survivorship file is not valid; the message says where."""


@dataclass(frozen=True)
class AttributeRule:
    attribute: str
    rule: str
    sources: tuple[str, ...]
    moves_with: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.attribute, *self.moves_with)


def load_rules(path: Path = RULES_PATH, columns: set[str] | None = None) -> list[AttributeRule]:
    """The rules of ``path``; with ``columns``, every attribute must be one of them."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SurvivorshipError(f"{path}: cannot read survivorship rules: {error}") from error
    attributes = document.get("attributes")
    if not isinstance(attributes, dict) or not attributes:
        raise SurvivorshipError(f"{path}: expected a mapping `attributes:` of attribute rules")
    rules, seen = [], set()
    for attribute, spec in attributes.items():
        where = f"{path}: attribute {attribute!r}"
        if not isinstance(spec, dict):
            raise SurvivorshipError(f"{where}: expected a mapping with `rule` and `sources`")
        rule = spec.get("rule")
        if rule not in RULES:
            raise SurvivorshipError(f"{where}: rule {rule!r} is not one of {', '.join(RULES)}")
        sources = spec.get("sources")
        if (
            not isinstance(sources, list)
            or not sources
            or not all(isinstance(s, str) for s in sources)
        ):
            raise SurvivorshipError(f"{where}: `sources` must be a non-empty list of sources")
        moves_with = spec.get("moves_with") or []
        if not isinstance(moves_with, list):
            raise SurvivorshipError(f"{where}: `moves_with` must be a list of attributes")
        item = AttributeRule(attribute, rule, tuple(sources), tuple(moves_with))
        for column in item.columns:
            if column in seen:
                raise SurvivorshipError(f"{where}: {column!r} is chosen by two rules")
            if columns is not None and column not in columns:
                raise SurvivorshipError(f"{where}: records have no column {column!r}")
            seen.add(column)
        rules.append(item)
    return rules


def _order(rule: AttributeRule) -> str:
    trust = "list_position([" + ", ".join(f"'{s}'" for s in rule.sources) + "], source)"
    if rule.rule == "most_recent":
        return f"observed_at desc nulls last, {trust}, record_key"
    if rule.rule == "source_priority":
        return f"{trust}, observed_at desc nulls last, record_key"
    return f"value_records desc, {trust}, observed_at desc nulls last, record_key"


def golden_sql(
    rules: list[AttributeRule], records: str, customers: str, listed: str | None = None
) -> str:
    """SQL for one row per customer with each attribute chosen by its rule.

    ``records`` has ``record_key``, ``source``, ``observed_at``, ``is_deleted`` and the
    attribute columns; ``customers`` maps ``record_key`` to ``customer_id``. ``listed``, when
    given, is a table of one row per customer of ``customers`` (``customer_id`` and columns
    to carry into the result, after the attributes).
    """
    ctes, selects, joins = [], [], []
    for index, rule in enumerate(rules):
        name = f"chosen_{index}"
        sources = ", ".join(f"'{s}'" for s in rule.sources)
        ctes.append(
            f"""{name} as (
            select customer_id, {", ".join(rule.columns)}
            from (
                select
                    customers.customer_id, records.*,
                    count(*) over (
                        partition by customers.customer_id, records.{rule.attribute}
                    ) as value_records
                from {records} as records
                inner join {customers} as customers using (record_key)
                where not records.is_deleted
                    and records.{rule.attribute} is not null
                    and records.source in ({sources})
            )
            qualify row_number() over (partition by customer_id order by {_order(rule)}) = 1
        )"""
        )
        selects += [f"{name}.{column}" for column in rule.columns]
        joins.append(f"left join {name} using (customer_id)")
    carried = "customers.* exclude (customer_id)" if listed else ""
    return (
        "with "
        + ",\n".join(ctes)
        + f"""
        select customers.customer_id, {", ".join([*selects, carried] if listed else selects)}
        from {listed or f"(select distinct customer_id from {customers})"} as customers
        {" ".join(joins)}
        """
    )
