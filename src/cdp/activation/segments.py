"""The audience definitions of ``segments.yml``, read and checked before anything is exported.

``segments.yml`` documents the dbt model ``segment_members`` and declares, in its
``config.meta``:

``channels``  per activation channel, the consent purposes that must all be ``granted`` and the
              profile columns the channel contacts a customer by (``hashed: true`` sends only
              SHA-256 digests of the normalized values)
``segments``  per segment, a name, description, owner, channel and the rules its members meet

dbt builds the membership from the rules; the audience exports (``cdp.activation.exports``)
read the same file for the channel of each segment and the definition they carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cdp import registry
from cdp.config import DBT_PROJECT_DIR

SEGMENTS_FILE = DBT_PROJECT_DIR / "models/marts/audiences/segments.yml"
SEGMENT_MODEL = "segment_members"

# The purposes of marts.customer_consent, declared once in dbt_project.yml (cdp.registry).
CONSENT_PURPOSES = registry.consent_purposes()
RULE_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains_any")
NULL_OPERATORS = ("is_null", "not_null")
LIST_OPERATORS = ("in", "not_in", "contains_any")
# Contact columns that a hashed channel can receive: each has a normalization agreed with the
# ad platforms (email: trimmed, lower case; phone: E.164 as stored), applied before hashing.
HASHABLE_CONTACT_COLUMNS = ("email", "phone")

# A segment name is its segment_id in the warehouse and the stem of its export files.
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")


class SegmentDefinitionError(ValueError):
    """``segments.yml`` declares something the exports cannot honour."""


@dataclass(frozen=True)
class Rule:
    """One condition on a column of ``marts.customer_profiles``."""

    attribute: str
    op: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        if self.op in NULL_OPERATORS:
            return {"attribute": self.attribute, "op": self.op}
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"attribute": self.attribute, "op": self.op, "value": value}


@dataclass(frozen=True)
class Channel:
    """Where an audience goes: the consent it needs and the columns it contacts people by."""

    name: str
    purposes: tuple[str, ...]
    contact: tuple[str, ...]
    hashed: bool = False


@dataclass(frozen=True)
class Segment:
    name: str
    description: str
    channel: str
    owner: str
    rules: tuple[Rule, ...]

    def definition(self) -> dict[str, Any]:
        """The segment as declared, in the form the export manifests carry."""
        return {
            "name": self.name,
            "description": self.description,
            "owner": self.owner,
            "channel": self.channel,
            "rules": [rule.as_dict() for rule in self.rules],
        }


@dataclass(frozen=True)
class Audiences:
    """Every declared channel (by name) and segment (in file order)."""

    channels: Mapping[str, Channel]
    segments: tuple[Segment, ...]


def load_audiences(path: Path = SEGMENTS_FILE) -> Audiences:
    """Read and check ``path``; raise :class:`SegmentDefinitionError` naming what is wrong."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise SegmentDefinitionError(f"{path}: not valid YAML: {err}") from err
    return parse_audiences(document, source=str(path))


def parse_audiences(document: Any, source: str = "segments.yml") -> Audiences:
    """Check a parsed ``segments.yml`` and return its channels and segments."""
    meta = _model_meta(document, source)
    channels = _parse_channels(meta.get("channels"), source)
    raw_segments = meta.get("segments")
    if not isinstance(raw_segments, list) or not raw_segments:
        raise SegmentDefinitionError(
            f"{source}: model {SEGMENT_MODEL} declares no segments (config.meta.segments)"
        )
    segments: list[Segment] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_segments, start=1):
        segment = _parse_segment(raw, index, channels, source)
        if segment.name in seen:
            raise SegmentDefinitionError(
                f"{source}: segment '{segment.name}' is declared twice: segment names must be "
                "unique (they name the export files)"
            )
        seen.add(segment.name)
        segments.append(segment)
    return Audiences(channels=channels, segments=tuple(segments))


def _model_meta(document: Any, source: str) -> Mapping[str, Any]:
    models = document.get("models") if isinstance(document, Mapping) else None
    model = next(
        (m for m in models or [] if isinstance(m, Mapping) and m.get("name") == SEGMENT_MODEL),
        None,
    )
    if model is None:
        raise SegmentDefinitionError(f"{source}: no model named {SEGMENT_MODEL}")
    config = model.get("config") or {}
    meta = (config.get("meta") if isinstance(config, Mapping) else None) or model.get("meta")
    if not isinstance(meta, Mapping):
        raise SegmentDefinitionError(
            f"{source}: model {SEGMENT_MODEL} has no config.meta with channels and segments"
        )
    return meta


def _string_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return None


def _parse_channels(raw_channels: Any, source: str) -> dict[str, Channel]:
    if not isinstance(raw_channels, Mapping) or not raw_channels:
        raise SegmentDefinitionError(
            f"{source}: model {SEGMENT_MODEL} declares no channels (config.meta.channels)"
        )
    channels: dict[str, Channel] = {}
    for name, raw in raw_channels.items():
        where = f"{source}: channel '{name}'"
        if not isinstance(raw, Mapping):
            raise SegmentDefinitionError(f"{where}: expected purposes, contact and hashed")
        purposes = _string_list(raw.get("purposes"))
        if not purposes:
            raise SegmentDefinitionError(
                f"{where} has no consent purposes: list the purposes that must all be granted "
                f"before it may contact anyone (one or more of {', '.join(CONSENT_PURPOSES)})"
            )
        unknown = [p for p in purposes if p not in CONSENT_PURPOSES]
        if unknown:
            raise SegmentDefinitionError(
                f"{where}: unknown consent purpose(s) {', '.join(unknown)} "
                f"(known: {', '.join(CONSENT_PURPOSES)})"
            )
        contact = _string_list(raw.get("contact"))
        if not contact:
            raise SegmentDefinitionError(
                f"{where} has no contact columns: name the customer_profiles columns it uses"
            )
        bad = [c for c in contact if not _COLUMN.match(c)]
        if bad:
            raise SegmentDefinitionError(f"{where}: not a column name: {', '.join(bad)}")
        hashed = raw.get("hashed", False)
        if not isinstance(hashed, bool):
            raise SegmentDefinitionError(f"{where}: hashed must be true or false")
        if hashed:
            unhashable = [c for c in contact if c not in HASHABLE_CONTACT_COLUMNS]
            if unhashable:
                raise SegmentDefinitionError(
                    f"{where} is hashed, but {', '.join(unhashable)} has no agreed normalization "
                    f"to hash (hashable: {', '.join(HASHABLE_CONTACT_COLUMNS)})"
                )
        channels[str(name)] = Channel(
            name=str(name),
            purposes=tuple(dict.fromkeys(purposes)),
            contact=tuple(dict.fromkeys(contact)),
            hashed=hashed,
        )
    return channels


def _parse_segment(raw: Any, index: int, channels: Mapping[str, Channel], source: str) -> Segment:
    if not isinstance(raw, Mapping):
        raise SegmentDefinitionError(f"{source}: segment #{index} is not a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SegmentDefinitionError(
            f"{source}: segment #{index} has name {name!r}: a segment name is lower case "
            "letters, digits and underscores, starting with a letter"
        )
    where = f"{source}: segment '{name}'"
    for key in ("description", "owner"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise SegmentDefinitionError(f"{where} has no {key}")
    channel = raw.get("channel")
    if channel not in channels:
        raise SegmentDefinitionError(
            f"{where}: channel {channel!r} is not declared in config.meta.channels "
            f"(declared: {', '.join(channels)})"
        )
    raw_rules = raw.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise SegmentDefinitionError(
            f"{where} has no rules: a segment without rules would select every customer"
        )
    rules = tuple(_parse_rule(rule, where) for rule in raw_rules)
    return Segment(
        name=name,
        description=" ".join(raw["description"].split()),
        channel=channel,
        owner=raw["owner"].strip(),
        rules=rules,
    )


def _parse_rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise SegmentDefinitionError(f"{where}: rule {raw!r} is not a mapping")
    attribute, op = raw.get("attribute"), raw.get("op")
    if not isinstance(attribute, str) or not _COLUMN.match(attribute):
        raise SegmentDefinitionError(f"{where}: rule {dict(raw)} names no profile column")
    if op in NULL_OPERATORS:
        return Rule(attribute, op)
    if op not in RULE_OPERATORS:
        raise SegmentDefinitionError(
            f"{where}: rule on {attribute} has unknown operator {op!r} "
            f"(known: {', '.join((*RULE_OPERATORS, *NULL_OPERATORS))})"
        )
    if "value" not in raw or raw["value"] is None:
        raise SegmentDefinitionError(f"{where}: rule on {attribute} ({op}) has no value")
    value = raw["value"]
    if op in LIST_OPERATORS:
        if not isinstance(value, list) or not value:
            raise SegmentDefinitionError(
                f"{where}: rule on {attribute} ({op}) needs a non-empty list of values"
            )
        value = tuple(value)
    elif isinstance(value, list | Mapping):
        raise SegmentDefinitionError(
            f"{where}: rule on {attribute} ({op}) compares with one value, not {value!r}"
        )
    return Rule(attribute, op, value)
