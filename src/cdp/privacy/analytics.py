"""Who keeps no per-customer analytics: the consent statuses that count as a refusal of
analytics, as the dbt project declares them (var ``analytics_excluded_consent_statuses`` in
``dbt_project.yml``; docs/privacy.md, "Analytics without analytics consent"). The models
apply the var; the quality check and the customer page read it here."""

from __future__ import annotations

from functools import cache

import yaml

from cdp.config import DBT_PROJECT_DIR


@cache
def excluded_analytics_statuses() -> tuple[str, ...]:
    """The statuses of current ``analytics`` consent that remove a customer's per-customer
    analytics."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return tuple(project["vars"]["analytics_excluded_consent_statuses"])
