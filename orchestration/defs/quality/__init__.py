"""Data quality: Great Expectations suites as asset checks, and the data-quality site."""

import dagster as dg

from orchestration.defs.quality.assets import quality_site
from orchestration.defs.quality.checks import quality_checks

defs = dg.Definitions(assets=[quality_site], asset_checks=quality_checks)
