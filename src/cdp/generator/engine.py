"""``generate()``: build the world, stream every household to the landing zone and the truth."""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from datetime import UTC, date, datetime, timedelta

from . import specs as S
from .campaigns import build_campaigns
from .output import Landing, TruthWriter
from .people import HH_SIZES, PeopleFactory, Pools
from .phones import PhoneFactory
from .scenarios import Scenario, scrub_contacts
from .scenarios import scenario as get_scenario
from .simulate import Sim
from .util import DAY, Bloom


class LandingNotEmptyError(FileExistsError):
    pass


def _has_files(path: str) -> bool:
    return any(files for _root, _dirs, files in os.walk(path))


def choose_resends(seed: int, days: int) -> list[tuple[str, int]]:
    """1-2 delta (source, day) folders that the exporter re-sent (copies of the day before)."""
    if days < 3:
        return []
    rng = random.Random(f"resend:{seed}")
    n = 2 if days >= 4 else 1
    sources = rng.sample(list(S.RESENDABLE), n)
    return [(src, rng.randint(1, days - 2)) for src in sources]


def generate(
    persons: int = 5000,
    days: int = 30,
    seed: int = 42,
    out: str = "data",
    end_date: str | date | None = None,
    progress: bool = True,
    force: bool = False,
    scenario: str | Scenario = "default",
) -> dict:
    """Write ``out/landing`` and ``out/truth``; return summary statistics. ``scenario`` names
    one of :data:`cdp.generator.scenarios.SCENARIOS` (or is a :class:`Scenario`)."""
    started = time.perf_counter()
    if persons < 1 or days < 1:
        raise ValueError("persons and days must be positive")
    sc = get_scenario(scenario)
    if end_date is None:
        end = datetime.now(UTC).date()
    elif isinstance(end_date, str):
        end = date.fromisoformat(end_date)
    else:
        end = end_date
    landing_dir = os.path.join(out, "landing")
    truth_dir = os.path.join(out, "truth")
    if os.path.isdir(landing_dir) and _has_files(landing_dir) and not force:
        raise LandingNotEmptyError(
            f"{landing_dir} already contains files; use --force to delete "
            f"{landing_dir} and {truth_dir} and generate again"
        )
    if force:
        for d in (landing_dir, truth_dir):
            if os.path.isdir(d):
                shutil.rmtree(d)

    dates = [(end - timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
    extra = (end + timedelta(days=1)).isoformat()
    w0 = datetime.fromisoformat(dates[0]).replace(tzinfo=UTC).timestamp()
    w1 = w0 + days * DAY

    resends = choose_resends(seed, days)
    landing = Landing(
        landing_dir, dates, extra, seed, resends, scrub_contacts if sc.contact_free else None
    )
    truth = TruthWriter(truth_dir)
    pools = Pools(seed)
    phones = PhoneFactory(seed)
    bloom = Bloom(27 if persons > 200_000 else 24)
    people = PeopleFactory(seed, pools, phones, bloom, w0, w1, sc)
    people.width = max(7, len(str(persons)))
    campaigns = build_campaigns(seed, w0, w1)
    sim = Sim(seed, dates, w0, landing, people, campaigns, persons, sc)

    for d in range(days):
        t_end = w0 + (d + 1) * DAY
        for c in campaigns:
            if c.created <= t_end and (c.deleted is None or c.deleted > t_end):
                landing.snapshot(S.CAMPAIGNS, d, c.row(t_end))

    setup_s = time.perf_counter() - started
    step = max(1, persons // 20)
    next_report = step
    done = 0
    hh_idx = 0
    while done < persons:
        rng = random.Random(f"{seed}/{hh_idx}")
        # the scenario's own stream: the default scenario never draws from it
        srng = random.Random(f"scenario:{seed}/{hh_idx}") if sc.active else None
        n = min(HH_SIZES.pick(rng), persons - done)
        hh = people.household(hh_idx, n, rng, srng)
        landing.rng = rng
        landing.truth = {}
        sim.household(hh, rng, srng)
        for p in hh.members:
            truth.person(p.truth_row())
        truth.records_of(landing.truth)
        done += n
        hh_idx += 1
        if progress and done >= next_report:
            el = time.perf_counter() - started
            print(
                f"cdp-generate: {done:,}/{persons:,} persons ({100 * done / persons:.0f}%), "
                f"{el:.1f}s elapsed, {done / max(el - setup_s, 1e-9):,.0f} persons/s",
                file=sys.stderr,
                flush=True,
            )
            next_report = (done // step + 1) * step

    stats = landing.finish()
    truth.close()
    files = 0
    size = 0
    for root, _dirs, fnames in os.walk(landing_dir):
        for f in fnames:
            files += 1
            size += os.path.getsize(os.path.join(root, f))
    summary = {
        "scenario": sc.name,
        "persons": persons,
        "households": hh_idx,
        "days": days,
        "dates": [dates[0], dates[-1]],
        "incomplete_folder": f"web/{extra}",
        "resent": [f"{src}/{dates[d]}" for src, d in resends],
        "files": files,
        "landing_bytes": size,
        "rows": stats["rows"],
        "broken_rows": stats["broken_rows"],
        "truth_records": truth.n_records,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return summary
