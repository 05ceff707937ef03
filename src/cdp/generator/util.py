"""Small deterministic helpers: time formats, id sequences, a Bloom filter, text folding."""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import time
import unicodedata
import zlib
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86400
HOUR = 3600
ROME = ZoneInfo("Europe/Rome")

_gmtime = time.gmtime
_strftime = time.strftime


# Times are formatted from tables of the parts that repeat: the text of a day (UTC) or of an
# hour (in a zone), cached as they are met, and the text of each second of a day or of an hour.
_CLOCK_Z = tuple(
    f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)
)
_MIN_SEC = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))
_MIN = tuple(f"{m:02d}" for m in range(60))
_ISO_DAYS: dict[int, str] = {}  # epoch day -> "YYYY-MM-DDT"


def iso_z(t: float) -> str:
    """``2026-11-03T10:15:22Z``: ``strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(int(t)))``."""
    day, sec = divmod(int(t), DAY)
    head = _ISO_DAYS.get(day)
    if head is None:
        head = _ISO_DAYS[day] = _strftime("%Y-%m-%dT", _gmtime(day * DAY))
    return head + _CLOCK_Z[sec]


ISO_MINUTES: dict[int, str] = {}  # epoch minute -> "YYYY-MM-DDTHH:MM:" (a few weeks of minutes)
# "SS.mmmZ" of each millisecond of a minute, by its index 0..59,999 in the minute
SECONDS_MS = tuple(f"{s:02d}.{ms:03d}Z" for s in range(60) for ms in range(1000))


def iso_minute(minute: int) -> str:
    """``2026-11-03T10:15:`` of an epoch minute (cached: a few weeks of minutes)."""
    head = ISO_MINUTES.get(minute)
    if head is None:
        head = ISO_MINUTES[minute] = _strftime("%Y-%m-%dT%H:%M:", _gmtime(minute * 60))
    return head


def iso_ms(t_ms: int) -> str:
    """``2026-11-03T10:15:22.123Z`` from integer epoch milliseconds (the minute's part and the
    second's from tables: this formats every web event's two times)."""
    minute, ms = divmod(int(t_ms), 60_000)
    head = ISO_MINUTES.get(minute) or iso_minute(minute)
    return head + SECONDS_MS[ms]


def _local_hour(tz: ZoneInfo, hour: int) -> datetime | None:
    """The local time at the start of an epoch hour, if the zone's offset is a whole number of
    hours all through it (then a time in the hour has the minutes and seconds it has in UTC);
    else None."""
    start = datetime.fromtimestamp(hour * HOUR, tz)
    offset = start.utcoffset()
    steady = offset == datetime.fromtimestamp(hour * HOUR + HOUR - 1, tz).utcoffset()
    return start if steady and offset.total_seconds() % HOUR == 0 else None


_ISO_HOURS: dict[tuple[ZoneInfo, int], tuple[str, str]] = {}  # -> ("...THH:", "+01:00")
_ROME_HOURS: dict[int, str] = {}  # epoch hour -> "dd/mm/yyyy HH:"


def iso_offset(t: float, tz: ZoneInfo) -> str:
    """``2026-11-03T11:15:22+01:00`` in the given zone:
    ``datetime.fromtimestamp(int(t), tz).isoformat()``."""
    hour, sec = divmod(int(t), HOUR)
    parts = _ISO_HOURS.get((tz, hour))
    if parts is None:
        start = _local_hour(tz, hour)
        if start is None:
            return datetime.fromtimestamp(int(t), tz).isoformat()
        text = start.isoformat()  # YYYY-MM-DDTHH:00:00+01:00
        parts = _ISO_HOURS[(tz, hour)] = (text[:14], text[19:])
    return parts[0] + _MIN_SEC[sec] + parts[1]


def rome_local(t: float) -> str:
    """``dd/mm/yyyy HH:MM`` in Europe/Rome local time (CRM):
    ``datetime.fromtimestamp(int(t), ROME).strftime("%d/%m/%Y %H:%M")``."""
    hour, sec = divmod(int(t), HOUR)
    head = _ROME_HOURS.get(hour)
    if head is None:
        start = _local_hour(ROME, hour)
        if start is None:
            return datetime.fromtimestamp(int(t), ROME).strftime("%d/%m/%Y %H:%M")
        head = _ROME_HOURS[hour] = start.strftime("%d/%m/%Y %H:")
    return head + _MIN[sec // 60]


def ymd(t: float) -> str:
    return _strftime("%Y-%m-%d", _gmtime(int(t)))


def dmy(t: float) -> str:
    return _strftime("%d/%m/%Y", _gmtime(int(t)))


def dmy2(t: float) -> str:
    return _strftime("%d/%m/%y", _gmtime(int(t)))


class IdSeq:
    """Unique, random-looking integers: an affine bijection of a counter modulo ``mod``.

    Shard ``shard`` of ``shards`` counts ``shard, shard + shards, shard + 2 * shards, ...``, so
    the shards of one generation never draw the same id."""

    __slots__ = ("mult", "add", "mod", "offset", "n", "step")

    def __init__(self, mult: int, add: int, mod: int, offset: int = 0, shard: tuple = (0, 1)):
        if math.gcd(mult, mod) != 1:
            raise ValueError("multiplier must be coprime with modulus")
        self.mult, self.add, self.mod, self.offset = mult, add, mod, offset
        self.n, self.step = shard

    def next(self) -> int:
        n = self.n
        if n >= self.mod:
            raise OverflowError("id space exhausted")
        self.n = n + self.step
        return (n * self.mult + self.add) % self.mod + self.offset


B52 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode(n: int, alphabet: str, width: int) -> str:
    base = len(alphabet)
    out = []
    for _ in range(width):
        n, r = divmod(n, base)
        out.append(alphabet[r])
    return "".join(reversed(out))


def rand_str(rng, alphabet: str, k: int) -> str:
    return "".join(rng.choices(alphabet, k=k))


# the hex digit of a version 4 UUID's variant nibble (10xx) for each hex digit of random bits
UUID4_VARIANT = {f"{n:x}": f"{8 | (n & 3):x}" for n in range(16)}


def uuid4_text(bits: int) -> str:
    """The version 4 UUID (lower case) made of 128 random ``bits``: what
    ``str(uuid.UUID(int=bits, version=4))`` gives (the version nibble set to 4, the variant's
    two bits to 10), without building the object."""
    h = bits.to_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{UUID4_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def rng_uuid(rng, upper: bool = False) -> str:
    """A version 4 UUID from ``rng`` (one ``getrandbits(128)``)."""
    s = uuid4_text(rng.getrandbits(128))
    return s.upper() if upper else s


class FastRandom(random.Random):
    """A ``random.Random`` whose ``randint``, ``randrange`` and ``choice`` draw exactly what
    ``random.Random``'s do (the same ``getrandbits`` calls, see ``randbelow``) in one Python
    call instead of two or three. Other methods, and arguments other than ints, are
    ``random.Random``'s own."""

    def randrange(self, start, stop=None, step=1):
        if stop is None and step == 1 and type(start) is int and start > 0:
            return randbelow(self.getrandbits, start)
        if step == 1 and type(start) is int and type(stop) is int and stop > start:
            return start + randbelow(self.getrandbits, stop - start)
        if stop is None and step == 1:
            return super().randrange(start)
        return super().randrange(start, stop, step)

    def randint(self, a, b):
        if type(a) is int and type(b) is int and b >= a:
            n = b - a + 1
            k = n.bit_length()
            getrandbits = self.getrandbits
            r = getrandbits(k)
            while r >= n:
                r = getrandbits(k)
            return a + r
        return super().randint(a, b)

    def choice(self, seq):
        n = len(seq)
        if not n:
            raise IndexError("Cannot choose from an empty sequence")
        k = n.bit_length()
        getrandbits = self.getrandbits
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return seq[r]


def randbelow(getrandbits, n: int) -> int:
    """What ``rng.randrange(n)`` draws (and the index that ``rng.choice`` draws in a sequence
    of ``n``), given ``rng.getrandbits``: consumes the stream the same way, in one call."""
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


class Bloom:
    """Fixed-size Bloom filter (bounded memory whatever the number of persons).

    Keys are shared out among the ``shards`` of one generation by a hash of their own: shard
    ``shard`` takes only the keys it owns, so shards that run apart never hand out one key
    twice, and each asks again (another style, another number) for a key it does not own."""

    def __init__(self, bits_log2: int = 27, shard: int = 0, shards: int = 1):
        self.nbits = 1 << bits_log2
        self.mask = self.nbits - 1
        self.bits = bytearray(self.nbits >> 3)
        self.shard, self.shards = shard, shards

    def owns(self, key: str) -> bool:
        return self.shards == 1 or zlib.crc32(key.encode()) % self.shards == self.shard

    def _idx(self, key: str):
        d = hashlib.blake2b(key.encode(), digest_size=12).digest()
        m = self.mask
        return (
            int.from_bytes(d[0:4], "little") & m,
            int.from_bytes(d[4:8], "little") & m,
            int.from_bytes(d[8:12], "little") & m,
        )

    def add_if_absent(self, key: str) -> bool:
        """Add ``key``; return True if it was (certainly) not there before and this shard owns
        it."""
        if not self.owns(key):
            return False
        bits = self.bits
        idx = self._idx(key)
        present = all(bits[i >> 3] & (1 << (i & 7)) for i in idx)
        if present:
            return False
        for i in idx:
            bits[i >> 3] |= 1 << (i & 7)
        return True


_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d"})


@lru_cache(maxsize=50000)
def fold(s: str) -> str:
    """Lower-case ASCII letters and digits only (for e-mail local parts and handles)."""
    s = unicodedata.normalize("NFKD", s.lower().translate(_FOLD))
    return "".join(c for c in s if ("a" <= c <= "z") or ("0" <= c <= "9"))


class Weighted:
    """Fast repeated weighted choice with precomputed cumulative weights."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        self.items = [p[0] for p in pairs]
        self.cum = []
        acc = 0.0
        for p in pairs:
            acc += p[1]
            self.cum.append(acc)
        self.total = acc

    def pick(self, rng):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def poisson(rng, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def poisson_times(rng, rate_per_day: float, t0: float, t1: float) -> list[float]:
    """Event times of a Poisson process with ``rate_per_day`` on [t0, t1)."""
    out: list[float] = []
    if rate_per_day <= 0 or t1 <= t0:
        return out
    mean_gap = DAY / rate_per_day
    t = t0 + rng.expovariate(1.0) * mean_gap
    while t < t1:
        out.append(t)
        t += rng.expovariate(1.0) * mean_gap
    return out


def ean13(body12: str) -> str:
    s = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body12))
    return body12 + str((10 - s % 10) % 10)
