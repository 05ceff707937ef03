"""``generate()``: build the world, stream every household to the landing zone and the truth."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from . import specs as S
from .campaigns import build_campaigns
from .output import Landing, TruthWriter, assemble, assemble_truth, piece_path
from .people import HH_SIZES, PeopleFactory, Pools
from .phones import PhoneFactory
from .scenarios import Scenario, scrub_contacts
from .scenarios import scenario as get_scenario
from .simulate import Simulation
from .util import DAY, Bloom, FastRandom

# From this many persons on, the households are shared out among two shards, in blocks of about
# as many persons each, that run side by side. The files depend on the shards (each draws its
# own ids and may hand out only its share of e-mails, handles and phones, so a person is a little
# less likely to get the plain first.last address), never on how many processes run them: the
# same arguments give the same bytes on any machine. Smaller generations (the built-in sample,
# the test data) are one shard.
SHARDS_FROM = 50_000


def shards_for(persons: int) -> int:
    return 2 if persons >= SHARDS_FROM else 1


class LandingNotEmptyError(FileExistsError):
    pass


@dataclass(frozen=True)
class _Plan:
    """What every shard needs to know of the whole generation."""

    seed: int
    persons: int
    dates: list[str]
    extra: str
    w0: float
    scenario: Scenario
    pieces: str
    shards: int
    resends: list[tuple[str, int]]
    households: list[int]  # persons of each household, in household order

    def shard_bounds(self) -> list[tuple[int, int, int]]:
        """(first household, end household, persons before) of each shard."""
        bounds, first, before, done = [], 0, 0, 0
        for shard in range(self.shards):
            limit = self.persons * (shard + 1) // self.shards
            end = first
            while end < len(self.households) and done < limit:
                done += self.households[end]
                end += 1
            bounds.append((first, end, before))
            first, before = end, done
        return bounds


@dataclass(frozen=True)
class _Shared:
    """Built once and handed to every shard: name pools, phone plans, campaigns."""

    pools: Pools
    phones: PhoneFactory
    campaigns: list


def household_sizes(seed: int, persons: int) -> list[int]:
    """Persons of each household: the first draw of the household's own random stream, the
    last household cut to the persons left."""
    sizes, done = [], 0
    while done < persons:
        n = min(HH_SIZES.pick(random.Random(f"{seed}/{len(sizes)}")), persons - done)
        sizes.append(n)
        done += n
    return sizes


# In a worker process: where its shard counts the persons it has done (shared memory that the
# parent reads for progress), set when the worker starts.
_WORKER_DONE = None


def _init_worker(done) -> None:
    global _WORKER_DONE
    _WORKER_DONE = done
    # The pool stops its workers with SIGTERM: a worker that inherited it ignored (a process
    # started from a background job, or after Dagster gave SIGTERM the handler of an ignored
    # SIGINT) would never stop, and the pool's exit would wait for it for ever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _shard_in_worker(plan: _Plan, shared: _Shared, shard: int) -> tuple[dict, int]:
    return _shard(plan, shared, shard, _WORKER_DONE)


def _shard(plan: _Plan, shared: _Shared, shard: int, done, tick=None) -> tuple[dict, int]:
    """Simulate one shard's households into its pieces, counting its persons in
    ``done[shard]`` (and calling ``tick`` after each household); what its landing wrote and
    how many truth records."""
    first, end, before = plan.shard_bounds()[shard]
    seed, sc, days = plan.seed, plan.scenario, len(plan.dates)
    w0, w1 = plan.w0, plan.w0 + days * DAY
    landing = Landing(
        piece_path(plan.pieces, shard, "landing"),
        plan.dates,
        plan.extra,
        seed,
        plan.resends,
        scrub_contacts if sc.contact_free else None,
        shard=shard,
    )
    truth = TruthWriter(piece_path(plan.pieces, shard, "truth"), header=False)
    bloom = Bloom(27 if plan.persons > 200_000 else 24, shard, plan.shards)
    people = PeopleFactory(seed, shared.pools, shared.phones, bloom, w0, w1, sc)
    people.width = max(7, len(str(plan.persons)))
    people.seq = before
    campaigns = shared.campaigns
    sim = Simulation(
        seed,
        plan.dates,
        w0,
        landing,
        people,
        campaigns,
        plan.persons,
        sc,
        shard=(shard, plan.shards),
    )
    if shard == 0:
        for d in range(days):
            t_end = w0 + (d + 1) * DAY
            for c in campaigns:
                if c.created <= t_end and (c.deleted is None or c.deleted > t_end):
                    landing.snapshot(S.CAMPAIGNS, d, c.row(t_end))
    persons = 0
    for hh_idx in range(first, end):
        # the household's stream (a FastRandom draws what a random.Random draws, faster)
        rng = FastRandom(f"{seed}/{hh_idx}")
        # the scenario's own stream: the default scenario never draws from it
        srng = FastRandom(f"scenario:{seed}/{hh_idx}") if sc.active else None
        HH_SIZES.pick(rng)  # the size drawn, as household_sizes drew it
        n = plan.households[hh_idx]
        hh = people.household(hh_idx, n, rng, srng)
        landing.rng = rng
        landing.truth = {}
        sim.household(hh, rng, srng)
        for p in hh.members:
            truth.person(p.truth_row())
        truth.records_of(landing.truth)
        persons += n
        done[shard] = persons
        if tick is not None:
            tick()
    written = landing.close()
    truth.close()
    return written, truth.n_records


@contextlib.contextmanager
def _workers(workers: int, shards: int):
    """(pool, done): the ``workers`` processes (None when one: the shards run here) and where
    each shard counts its persons done. The processes start, and import the generator, at
    once, while the caller makes the plan."""
    if workers <= 1:
        yield None, [0] * shards
        return
    ctx = multiprocessing.get_context("spawn")
    done = ctx.RawArray("q", shards)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(done,)) as pool:
        yield pool, done


# A progress line at most this often (seconds): the sample takes a few, a million persons minutes.
PROGRESS_SECONDS = 10.0


def _run_shards(
    plan: _Plan, shared: _Shared, pool, done, progress: bool, started: float, setup_s: float
) -> tuple[list[dict], int]:
    """Run the shards (in ``pool``'s processes, or here when None), printing progress at
    each 5 % reached at least ``PROGRESS_SECONDS`` after the last line, and at the end; what
    each shard's landing wrote and the truth records in all."""
    step = max(1, plan.persons // 20)
    next_report = step
    last_line = started

    def report() -> None:
        nonlocal next_report, last_line
        persons = sum(done)
        if not progress or persons < next_report:
            return
        now = time.perf_counter()
        if persons < plan.persons and now - last_line < PROGRESS_SECONDS:
            return
        el = now - started
        print(
            f"cdp-generate: {persons:,}/{plan.persons:,} persons "
            f"({100 * persons / plan.persons:.0f}%), {el:.1f}s elapsed, "
            f"{persons / max(el - setup_s, 1e-9):,.0f} persons/s",
            file=sys.stderr,
            flush=True,
        )
        last_line = now
        next_report = (persons // step + 1) * step

    if pool is None:
        results = [_shard(plan, shared, shard, done, report) for shard in range(plan.shards)]
    else:
        pending = pool.starmap_async(
            _shard_in_worker, [(plan, shared, shard) for shard in range(plan.shards)]
        )
        while not pending.ready():
            pending.wait(1.0)
            report()
        results = pending.get()
    return [written for written, _ in results], sum(n for _, n in results)


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
    workers: int | None = None,
    shards: int | None = None,
) -> dict:
    """Write ``out/landing`` and ``out/truth``; return summary statistics. ``scenario`` names
    one of :data:`cdp.generator.scenarios.SCENARIOS` (or is a :class:`Scenario`).

    The households are shared out among ``shards`` (by default :func:`shards_for` the persons),
    which run in ``workers`` processes (by default one per core, at most one per shard); the
    files depend on the shards, never on the workers."""
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

    if workers is None:
        workers = os.cpu_count() or 1
    shards = shards_for(persons) if shards is None else shards
    workers = max(1, min(workers, shards))
    with _workers(workers, shards) as (pool, done):
        plan = _Plan(
            seed=seed,
            persons=persons,
            dates=dates,
            extra=extra,
            w0=w0,
            scenario=sc,
            pieces=os.path.join(out, ".pieces"),
            shards=shards,
            resends=choose_resends(seed, days),
            households=household_sizes(seed, persons),
        )
        if os.path.isdir(plan.pieces):
            shutil.rmtree(plan.pieces)
        # what every shard shares is built once, before the shards start, and handed to each
        campaigns = build_campaigns(seed, w0, w0 + days * DAY)
        shared = _Shared(pools=Pools(seed), phones=PhoneFactory(seed), campaigns=campaigns)
        setup_s = time.perf_counter() - started
        written, truth_records = _run_shards(plan, shared, pool, done, progress, started, setup_s)
    stats = assemble(landing_dir, plan.pieces, shards, dates, extra, plan.resends, written)
    assemble_truth(truth_dir, [piece_path(plan.pieces, b, "truth") for b in range(shards)])
    shutil.rmtree(plan.pieces)

    files = 0
    size = 0
    for root, _dirs, fnames in os.walk(landing_dir):
        for f in fnames:
            files += 1
            size += os.path.getsize(os.path.join(root, f))
    summary = {
        "scenario": sc.name,
        "persons": persons,
        "households": len(plan.households),
        "shards": shards,
        "days": days,
        "dates": [dates[0], dates[-1]],
        "incomplete_folder": f"web/{extra}",
        "resent": [f"{src}/{dates[d]}" for src, d in plan.resends],
        "files": files,
        "landing_bytes": size,
        "rows": stats["rows"],
        "broken_rows": stats["broken_rows"],
        "truth_records": truth_records,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return summary
