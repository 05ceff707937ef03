"""The export-folder sensor: loads start when a complete folder lands.

The cursor remembers each complete folder's fingerprint (file names, sizes, times). A folder
seen before with the same fingerprint asks for nothing; a new folder, or one delivered again
with other files, asks for the loads of its source and date. Folders without ``_SUCCESS`` are
not complete and wait. The loads themselves skip bytes already loaded, so even a repeated
request loads nothing twice.
"""

import json
from collections import defaultdict

import dagster as dg

from cdp.sources import SOURCE_FILES
from orchestration.defs.ingest.partitions import complete_folders, export_dates
from orchestration.defs.jobs import load_exports
from orchestration.defs.privacy.assets import PURGE_KEY
from orchestration.resources import LandingZone


@dg.sensor(
    job=load_exports,
    minimum_interval_seconds=60,
    description=(
        "Starts the loads of each complete export folder (`_SUCCESS`) that is new or "
        "delivered again."
    ),
)
def new_export_folders(context: dg.SensorEvaluationContext, landing: LandingZone):
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    folders = complete_folders(landing.require())
    changed = [f for f in folders if seen.get(f.key) != f.fingerprint]
    if not changed:
        return dg.SkipReason(f"no new complete export folder ({len(folders)} seen)")
    by_date = defaultdict(list)
    for folder in changed:
        by_date[folder.export_date.isoformat()].append(folder)
    known = set(context.instance.get_dynamic_partitions(export_dates.name))
    new_dates = sorted(day for day in by_date if day not in known)
    run_requests = [
        dg.RunRequest(
            partition_key=day,
            run_key=f"{day}:" + ",".join(f"{f.source}={f.fingerprint}" for f in batch),
            # The loads of the sources that delivered, then the purge of re-delivered rows
            # of erased people and retention, as in every job that loads.
            asset_selection=[
                *(
                    dg.AssetKey(spec.asset_key)
                    for spec in SOURCE_FILES
                    if spec.source in {f.source for f in batch}
                ),
                PURGE_KEY,
            ],
            tags={"cdp/sources": ",".join(sorted(f.source for f in batch))},
        )
        for day, batch in sorted(by_date.items())
    ]
    seen.update({f.key: f.fingerprint for f in changed})
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=(
            [export_dates.build_add_request(new_dates)] if new_dates else []
        ),
        cursor=json.dumps(seen, sort_keys=True),
    )


sensors = [new_export_folders]
