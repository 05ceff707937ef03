"""Who keeps no per-customer analytics: the consent statuses that count as a refusal of
analytics, as the dbt project declares them (var ``analytics_excluded_consent_statuses`` in
``dbt_project.yml``; docs/privacy.md, "Analytics without analytics consent"). The models
apply the var; the quality check and the customer page read it here."""

from __future__ import annotations

from cdp import registry


def excluded_analytics_statuses() -> tuple[str, ...]:
    """The statuses of current ``analytics`` consent that remove a customer's per-customer
    analytics."""
    return tuple(registry.project_var("analytics_excluded_consent_statuses"))
