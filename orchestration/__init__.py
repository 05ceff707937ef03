"""The Dagster code location of the platform (``orchestration.definitions``)."""

import warnings

import dagster as _dg

# Single-run backfills are marked beta in this Dagster version; they are what partitioned
# loads need here, so the warning would only repeat itself on every load.
warnings.filterwarnings("ignore", category=_dg.BetaWarning)
