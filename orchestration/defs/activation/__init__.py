"""Activation: consent-filtered audience files for the channels of segments.yml."""

import dagster as dg

from orchestration.defs.activation.assets import audience_exports

defs = dg.Definitions(assets=[audience_exports])
