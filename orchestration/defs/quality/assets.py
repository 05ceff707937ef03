"""The data-quality site as an asset: rebuilt from the recorded check results."""

import dagster as dg

from cdp.quality.site import browse, find_browser
from orchestration.resources import DataQuality


@dg.asset(
    key=dg.AssetKey(["quality", "site"]),
    group_name="quality",
    kinds={"html"},
    owners=["team:data-platform"],
    # Runs once for any range of export dates loaded upstream.
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["activation", "audience_exports"])],
    description=(
        "Static documentation site (`<docs dir>/index.html`): the data-quality overview (one "
        "line per layer and source with status, freshness, completeness and trend), the Great "
        "Expectations Data Docs of the kept runs, and the analyst guide. The quality checks "
        "also rebuild it after each gate, so it shows failures that stopped the run. With "
        "Chromium installed, a screenshot of the overview is kept beside it for review."
    ),
)
def quality_site(context: dg.AssetExecutionContext, quality: DataQuality) -> dg.MaterializeResult:
    run = quality.run()
    index = run.publish()
    overview = run.docs_dir / "quality" / "index.html"
    metadata = {
        "index": dg.MetadataValue.path(str(index)),
        "overview": dg.MetadataValue.path(str(overview)),
        "seconds": round(run.last_publish_seconds, 2),
        # The site's rows: the check results its overview reports.
        "dagster/row_count": dg.MetadataValue.int(run.last_published_checks),
    }
    browser = find_browser()
    if browser:
        screenshot = overview.with_name("overview.png")
        browse(overview, browser, screenshot=screenshot)
        metadata["screenshot"] = dg.MetadataValue.path(str(screenshot))
    else:
        context.log.info("no Chromium on this machine: no screenshot of the overview")
    context.log.info(f"data-quality site: {index}")
    return dg.MaterializeResult(metadata=metadata)
