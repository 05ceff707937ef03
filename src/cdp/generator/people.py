"""Households and persons: the true identities behind every source record."""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

from faker import Faker

from . import refdata as R
from .phones import Phone, PhoneFactory
from .scenarios import SCENARIOS, Scenario
from .util import DAY, Bloom, Weighted, fold


class Pools:
    """Name, street and company pools drawn once from seeded Fakers (Faker is slow per call)."""

    def __init__(self, seed: int, size: int = 2000):
        self.first_m: dict[str, list[str]] = {}
        self.first_f: dict[str, list[str]] = {}
        self.last: dict[str, list[str]] = {}
        self.streets: dict[str, list[str]] = {}
        self.companies: dict[str, list[str]] = {}
        for i, loc in enumerate(R.FAKER_LOCALES):
            fk = Faker(loc)
            fk.seed_instance(seed * 31 + i)
            self.first_m[loc] = _uniq(fk.first_name_male() for _ in range(size // 2))
            self.first_f[loc] = _uniq(fk.first_name_female() for _ in range(size // 2))
            self.last[loc] = _uniq(fk.last_name() for _ in range(size))
            self.streets[loc] = _uniq(fk.street_name() for _ in range(size))
            comps = []
            for _ in range(300):
                slug = "-".join(fold(w) for w in fk.company().replace(",", " ").split()[:2])
                slug = slug.strip("-")
                if slug:
                    comps.append(slug)
            self.companies[loc] = _uniq(comps)


def _uniq(it) -> list[str]:
    return list(dict.fromkeys(x for x in it if x))


class Address:
    __slots__ = ("street", "postcode", "city", "country")

    def __init__(self, street: str, postcode: str, city: str, country: str):
        self.street, self.postcode, self.city, self.country = street, postcode, city, country


class Household:
    __slots__ = (
        "idx",
        "country",
        "lang_region",
        "address",
        "old_address",
        "move_t",
        "landline",
        "family_email",
        "members",
        "size",
        "tz",
        "tzname",
    )


class Person:
    __slots__ = (
        "idx",
        "pid",
        "hh",
        "country",
        "lang",
        "name_loc",
        "gender",
        "first",
        "last",
        "old_last",
        "last_change_t",
        "birth",
        "birth_year",
        "email",
        "old_email",
        "email_change_t",
        "work_email",
        "uses_family_email",
        "mobile",
        "phone",
        "handle",
        "platforms",
        "diet",
        "age",
        "since",
        "stop_t",
        "erasure_t",
        "new_customer",
        "tz",
        "tzname",
    )

    @property
    def address(self) -> Address:
        return self.hh.address

    def address_at(self, t: float) -> Address:
        hh = self.hh
        if hh.move_t is not None and t < hh.move_t:
            return hh.old_address
        return hh.address

    def last_at(self, t: float) -> str:
        """The last name the person went by at ``t`` (before taking a partner's surname)."""
        if self.last_change_t is not None and t < self.last_change_t:
            return self.old_last
        return self.last

    def email_at(self, t: float) -> str | None:
        if self.email_change_t is not None and t < self.email_change_t:
            return self.old_email
        return self.email

    def email_given(self, t: float, r: float, work_share: float, family_below: float) -> str | None:
        """The address this person gives a system at ``t``, for a uniform draw ``r``: the work
        address when ``r < work_share``, else the family one when ``r < family_below``, else
        their own (falling back to family, then work)."""
        if self.work_email and r < work_share:
            return self.work_email
        if self.hh.family_email and r < family_below:
            return self.hh.family_email
        return self.email_at(t) or self.hh.family_email or self.work_email

    def truth_row(self) -> list:
        a = self.hh.address
        return [
            self.pid,
            self.first,
            self.last,
            self.email or "",
            self.phone.e164 if self.phone else "",
            self.birth,
            a.street,
            a.postcode,
            a.city,
            self.country,
            self.lang,
            self.diet,
            self.hh.size,
        ]


MOVE_HISTORY = 2 * 365 * DAY  # scenario moves and surname changes: within two years of the end
HH_SIZES = Weighted([(1, 28), (2, 34), (3, 17), (4, 15), (5, 6)])
SHARED_SURNAME = {"IT": 0.35, "DE": 0.75, "FR": 0.6, "ES": 0.05, "CH": 0.65, "GB": 0.75, "US": 0.75}
LANDLINE = {"IT": 0.4, "DE": 0.45, "FR": 0.35, "ES": 0.35, "CH": 0.5, "GB": 0.35, "US": 0.2}
DIETS = Weighted(
    [
        ("none", 55),
        ("vegetarian", 13),
        ("vegan", 4),
        ("pescatarian", 7),
        ("gluten_free", 5),
        ("lactose_free", 8),
        ("vegetarian;lactose_free", 2),
        ("gluten_free;lactose_free", 2),
        ("vegan;gluten_free", 1),
        ("pescatarian;gluten_free", 1),
        ("vegetarian;gluten_free", 2),
    ]
)
EMAIL_STYLES = Weighted(
    [
        ("{f}.{l}", 30),
        ("{f}{l}", 12),
        ("{f}_{l}", 6),
        ("{fi}{l}", 8),
        ("{f}.{l}{yy}", 12),
        ("{l}.{f}", 6),
        ("{f}{yy}", 6),
        ("{f}.{l}{n}", 10),
        ("{fi}.{l}{yyyy}", 5),
        ("{l}{fi}", 5),
    ]
)
HANDLE_STYLES = Weighted(
    [
        ("{f}.{l}", 20),
        ("{f}_{l}", 12),
        ("{f}{l}", 10),
        ("{f}.{l}{yy}", 10),
        ("{f}_cooks", 6),
        ("chef.{f}", 5),
        ("{f}.{li}", 8),
        ("the.{f}.{l}", 4),
        ("{f}{l}{n}", 10),
        ("{f}_in_cucina", 3),
        ("{f}.bakes", 4),
        ("{fi}{l}_{n}", 8),
    ]
)


class PeopleFactory:
    def __init__(
        self,
        seed: int,
        pools: Pools,
        phones: PhoneFactory,
        bloom: Bloom,
        window_start: float,
        window_end: float,
        scenario: Scenario = SCENARIOS["default"],
    ):
        self.pools, self.phones, self.bloom = pools, phones, bloom
        self.scenario = scenario
        self.w0, self.w1 = window_start, window_end
        self.countries = Weighted(list(zip(R.COUNTRIES, R.COUNTRY_WEIGHTS, strict=True)))
        self.cities = {c: Weighted([(row, row[2]) for row in rows]) for c, rows in R.CITIES.items()}
        self.ch_cities = {
            lang: Weighted([(row, row[2]) for row in R.CITIES["CH"] if row[3] == lang])
            for lang in ("de", "fr", "it")
        }
        self.ch_lang = Weighted([(x, x[3]) for x in R.LOCALES["CH"]])
        self.providers = {c: Weighted(v) for c, v in R.PROVIDERS.items()}
        self.tz = {c: ZoneInfo(z) for c, z in R.TIMEZONE.items()}
        self.seq = 0
        self.width = 7

    # ---- addresses -------------------------------------------------------------------
    def _postcode(self, rule, rng) -> str:
        if rule[0] == "num":
            _, lo, hi, width = rule
            return str(rng.randint(lo, hi)).zfill(width)
        area = rng.choice(rule[1])
        district = rng.randint(1, 20 if len(area) == 1 else 12)
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{area}{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"

    def make_address(self, country: str, street_loc: str, lang: str, rng, city_row=None) -> Address:
        if city_row is None:
            city_row = (
                self.ch_cities[lang].pick(rng)
                if country == "CH"
                else self.cities[country].pick(rng)
            )
        street = rng.choice(self.pools.streets[street_loc])
        num = rng.randint(1, 180) if rng.random() < 0.9 else rng.randint(181, 400)
        if country in ("FR", "GB", "US") or street_loc == "fr_CH":
            line = f"{num} {street}"
            if country == "FR" and rng.random() < 0.1:
                line = f"{num} bis {street}"
        elif country == "ES":
            line = f"{street}, {num}"
            if rng.random() < 0.4:
                line += f", {rng.randint(1, 8)}º {rng.choice('ABCD')}"
        else:
            line = f"{street} {num}"
            if country == "IT" and rng.random() < 0.08:
                line += rng.choice(("/A", "/B", " bis"))
        if country == "GB" and rng.random() < 0.15:
            line = f"Flat {rng.randint(1, 30)}, {line}"
        return Address(line, self._postcode(city_row[1], rng), city_row[0], country)

    # ---- identity pieces -------------------------------------------------------------
    def _unique_email(self, local_opts: list[str], domain: str, rng, more=None) -> str:
        """The first free address of ``local_opts`` at ``domain``; then ``more()`` locals
        (another style) if given, else the first with a number."""
        for local in local_opts:
            e = f"{local}@{domain}"
            if self.bloom.add_if_absent("e:" + e):
                return e
        while True:
            local = more() if more is not None else f"{local_opts[0]}{rng.randint(1, 9999)}"
            e = f"{local}@{domain}"
            if self.bloom.add_if_absent("e:" + e):
                return e

    def personal_email(self, p: Person, rng) -> str:
        f, lname = fold(p.first) or "user", fold(p.last.split()[0]) or "mail"
        yy = str(p.birth_year)[2:]

        def style() -> str:
            return EMAIL_STYLES.pick(rng).format(
                f=f, l=lname, fi=f[0], yy=yy, yyyy=p.birth_year, n=rng.randint(1, 999)
            )

        opts = [style() for _ in range(3)]
        # Past three taken addresses: the first with a number, or, when the generation is
        # sharded (a shard may not hand out about half the addresses), another style, so the
        # styles keep their shares.
        more = style if self.bloom.shards > 1 else None
        return self._unique_email(opts, self.providers[p.country].pick(rng), rng, more=more)

    def work_email(self, p: Person, rng) -> str:
        f, lname = fold(p.first) or "user", fold(p.last.split()[0]) or "mail"
        comp = rng.choice(self.pools.companies[p.name_loc])
        dom = f"{comp}.{R.WORK_TLD[p.country]}"
        return self._unique_email([f"{f}.{lname}", f"{f[0]}.{lname}", f"{f}{lname}"], dom, rng)

    def handle(self, p: Person, rng) -> str:
        f, lname = fold(p.first) or "user", fold(p.last.split()[0]) or "cook"
        for i in range(6):
            st = HANDLE_STYLES.pick(rng)
            h = st.format(
                f=f,
                l=lname,
                fi=f[0],
                li=lname[0],
                yy=str(p.birth_year)[2:],
                n=rng.randint(1, 99 if i < 3 else 99999),
            )
            h = h[:30]
            if self.bloom.add_if_absent("h:" + h):
                return h
        while True:
            h = f"{f}.{lname}.{rng.randint(100000, 999999)}"[:30]
            if self.bloom.add_if_absent("h:" + h):
                return h

    def stranger_handle(self, rng) -> str:
        # strangers' handles are reserved in the same filter so persons never reuse them
        while True:
            w = rng.sample(R.STRANGER_WORDS, 2)
            h = rng.choice(("{a}_{b}", "{a}.{b}", "{a}{b}", "{a}_{b}_{n}", "{a}{n}")).format(
                a=w[0], b=w[1], n=rng.randint(1, 9999)
            )
            if self.bloom.add_if_absent("h:" + h):
                return h

    def phone(self, country: str, kind: str, rng) -> Phone:
        bloom = self.bloom
        # a shard draws only numbers it owns (see Bloom)
        owned = None if bloom.shards == 1 else (lambda e164: bloom.owns("p:" + e164))
        for _ in range(5):
            ph = self.phones.make(country, kind, rng, owned)
            if bloom.add_if_absent("p:" + ph.e164):
                return ph
        return ph

    # ---- households ------------------------------------------------------------------
    def _move(self, hh: Household, street_loc: str, rng, t0: float, t1: float) -> None:
        """The household moves at a time between ``t0`` and ``t1`` (60 % in the same city)."""
        same_city = rng.random() < 0.6
        new = self.make_address(hh.country, street_loc, hh.lang_region, rng)
        if same_city:
            new.city = hh.address.city
            new.postcode = hh.address.postcode if rng.random() < 0.5 else new.postcode
        hh.old_address = hh.address
        hh.address = new
        hh.move_t = t0 + rng.uniform(0.1, 0.9) * (t1 - t0)

    def _birth_year(self, age: int) -> int:
        return int(1970 + (self.w1 / DAY / 365.2425)) - age  # window year minus age

    def household(
        self, hh_idx: int, n_members: int, rng: random.Random, srng: random.Random | None = None
    ) -> Household:
        """A household of ``n_members`` persons drawn from ``rng``; the scenario's doses, if
        any, draw from ``srng``."""
        sc = self.scenario
        hh = Household()
        hh.idx = hh_idx
        country = self.countries.pick(rng)
        hh.country = country
        lang, name_loc, street_loc, _ = (
            self.ch_lang.pick(rng) if country == "CH" else (R.LOCALES[country][0])
        )
        hh.lang_region = lang
        hh.address = self.make_address(country, street_loc, lang, rng)
        hh.old_address = None
        hh.move_t = None
        if rng.random() < 0.025:  # moves house during the window
            self._move(hh, street_loc, rng, self.w0, self.w1)
        elif sc.movers and srng.random() < sc.movers:  # moved in the last two years
            self._move(hh, street_loc, srng, self.w1 - MOVE_HISTORY, self.w1)
        if country == "US":
            tzname = next(r[3] for r in R.CITIES["US"] if r[0] == hh.address.city)
            hh.tz = ZoneInfo(tzname)
        else:
            tzname = R.TIMEZONE[country]
            hh.tz = self.tz[country]
        hh.tzname = tzname
        hh.landline = (
            self.phone(country, "fixed", rng) if rng.random() < LANDLINE[country] else None
        )
        hh.members = []

        # who lives here
        base_age = rng.choice((22, 26, 30, 34, 38, 42, 46, 50, 55, 60, 66, 72, 78))
        base_age += rng.randint(0, 4)
        if n_members >= 3:
            base_age = rng.randint(44, 62)
        roles: list[tuple[str, int]] = []  # (role, age)
        if n_members == 1:
            roles = [("head", base_age)]
        elif n_members == 2:
            r = rng.random()
            if r < 0.7:
                roles = [("head", base_age), ("spouse", max(18, base_age + rng.randint(-6, 6)))]
            elif r < 0.85:
                parent = max(base_age, 46)
                roles = [("head", parent), ("child", rng.randint(18, min(30, parent - 18)))]
            else:
                a = rng.randint(20, 34)
                roles = [("head", a), ("flatmate", a + rng.randint(-3, 3))]
        else:
            roles = [("head", base_age), ("spouse", max(18, base_age + rng.randint(-5, 5)))]
            for _ in range(n_members - 2):
                roles.append(("child", rng.randint(18, min(30, base_age - 18))))

        head_gender = "m" if rng.random() < 0.5 else "f"
        names_last = self.pools.last[name_loc]
        head_last = rng.choice(names_last)
        if country == "ES":
            head_last = f"{head_last} {rng.choice(names_last)}"
        spouse_last = None
        for role, age in roles:
            p = Person()
            p.hh = hh
            p.country = country
            p.lang = lang
            p.name_loc = name_loc
            p.tz, p.tzname = hh.tz, hh.tzname
            if role == "head":
                p.gender = head_gender
                p.last = head_last
            elif role == "spouse":
                p.gender = (
                    "f"
                    if head_gender == "m" and rng.random() < 0.9
                    else ("m" if head_gender == "f" and rng.random() < 0.9 else head_gender)
                )
                if rng.random() < SHARED_SURNAME[country]:
                    p.last = head_last
                else:
                    p.last = rng.choice(names_last)
                    if country == "ES":
                        p.last = f"{p.last} {rng.choice(names_last)}"
                spouse_last = p.last
            elif role == "child":
                p.gender = "m" if rng.random() < 0.5 else "f"
                if country == "ES" and spouse_last:
                    p.last = f"{head_last.split()[0]} {spouse_last.split()[0]}"
                else:
                    p.last = head_last
            else:
                p.gender = "m" if rng.random() < 0.5 else "f"
                p.last = rng.choice(names_last)
                if country == "ES":
                    p.last = f"{p.last} {rng.choice(names_last)}"
            pool = self.pools.first_m if p.gender == "m" else self.pools.first_f
            p.first = rng.choice(pool[name_loc])
            p.age = age
            by = self._birth_year(age)
            p.birth_year = by
            p.birth = f"{by:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            p.old_last, p.last_change_t = None, None
            hh.members.append(p)
        if sc.twins or sc.namesakes:
            self._twins_and_namesakes(hh.members, [r for r, _ in roles], srng)

        kids = 0
        if n_members >= 2 and roles[1][0] == "spouse" and base_age < 50 and rng.random() < 0.45:
            kids = rng.choice((1, 1, 2, 2, 3))
        hh.size = n_members + kids

        hh.family_email = None
        if n_members >= 2 and rng.random() < 0.14:
            pat = rng.choice(R.FAMILY_EMAIL_PATTERNS[lang])
            local = pat.format(last=fold(head_last.split()[0]) or "casa")
            hh.family_email = self._unique_email(
                [local, local + str(rng.randint(1, 99))], self.providers[country].pick(rng), rng
            )
        for i, p in enumerate(hh.members):
            self._identity(p, i, rng)
        if sc.surname_change and len(roles) >= 2 and roles[1][0] == "spouse":
            head, spouse = hh.members[0], hh.members[1]
            if spouse.last != head.last and srng.random() < sc.surname_change:
                # takes the partner's surname; earlier records (and e-mails) keep the old one
                spouse.old_last, spouse.last = spouse.last, head.last
                spouse.last_change_t = self.w1 - srng.uniform(DAY, MOVE_HISTORY)
        return hh

    def _twins_and_namesakes(self, members: list[Person], roles: list[str], srng) -> None:
        """Scenario hard cases, different persons who look alike: two adult children born the
        same day (twins), and an adult child with the first and last name of a parent."""
        sc = self.scenario
        kids = [p for p, role in zip(members, roles, strict=True) if role == "child"]
        twins = False
        if sc.twins and len(kids) >= 2 and srng.random() < sc.twins:
            a, b = kids[0], kids[1]
            b.age, b.birth_year, b.birth = a.age, a.birth_year, a.birth
            pool = (self.pools.first_m if b.gender == "m" else self.pools.first_f)[b.name_loc]
            while b.first == a.first:
                b.first = srng.choice(pool)
            twins = True
        if sc.namesakes and kids and srng.random() < sc.namesakes:
            child = kids[-1]
            parents = [
                p
                for p, role in zip(members, roles, strict=True)
                if role in ("head", "spouse") and p.last == child.last
            ]
            if parents and not (twins and len(kids) == 2):
                parent = parents[0]
                child.gender, child.first = parent.gender, parent.first
                if child.age > parent.age - 25:
                    child.age = parent.age - 25
                    child.birth_year = self._birth_year(child.age)
                    child.birth = f"{child.birth_year:04d}{child.birth[4:]}"

    def _identity(self, p: Person, pos: int, rng) -> None:
        self.seq += 1
        p.idx = self.seq
        p.pid = f"P{self.seq:0{self.width}d}"
        hh = p.hh
        p.uses_family_email = False
        own = rng.random() < (0.92 if p.age < 70 else 0.75)
        if hh.family_email and (not own or (pos < 2 and rng.random() < 0.35)):
            p.uses_family_email = True
        p.email = self.personal_email(p, rng) if own and not p.uses_family_email else None
        if p.uses_family_email:
            p.email = hh.family_email
        p.old_email = None
        p.email_change_t = None
        if p.email and not p.uses_family_email and rng.random() < 0.02:
            p.old_email = p.email
            p.email = self.personal_email(p, rng)
            p.email_change_t = self.w0 + rng.uniform(0.1, 0.9) * (self.w1 - self.w0)
        p.work_email = (
            self.work_email(p, rng) if 22 <= p.age <= 65 and rng.random() < 0.18 else None
        )
        p.mobile = (
            self.phone(p.country, "mobile", rng)
            if rng.random() < (0.96 if p.age < 70 else 0.8)
            else None
        )
        p.phone = p.mobile or hh.landline
        p.handle = None
        p.platforms = []
        if rng.random() < (0.42 if p.age < 40 else 0.22 if p.age < 60 else 0.06):
            p.handle = self.handle(p, rng)
            p.platforms = ["instagram"]
            for plat, pr in (("tiktok", 0.2), ("facebook", 0.12), ("x", 0.1)):
                if rng.random() < pr:
                    p.platforms.append(plat)
        p.diet = DIETS.pick(rng)
        p.stop_t = None
        p.erasure_t = None
