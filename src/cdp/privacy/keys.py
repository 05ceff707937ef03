"""The privacy key and the keyed hashes made with it.

The key comes from the environment, never from the repository:

``CDP_PRIVACY_KEY``       the key itself (any string), as a secret store would inject it
``CDP_PRIVACY_KEY_FILE``  else a file that holds it (default ``~/.config/cdp/privacy.key``)

With neither, ``python -m cdp.privacy ensure-key`` (run by ``make run``) writes a new random key
to the default file, outside the repository, and says so. Keep it: the suppression list of
erased people is made of hashes under this key, and a new key cannot recognise them.

One key, several purposes: each use derives its own key (``derive``), so a pseudonym in the
analysts' schema is never equal to a suppression-list hash of the same value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

DEFAULT_KEY_FILE = Path("~/.config/cdp/privacy.key")
# Purposes of derived keys.
SUPPRESSION = "suppression"
PSEUDONYM = "pseudonym"
_BLOCK = 64  # SHA-256 block size, for HMAC


class PrivacyKeyMissing(RuntimeError):
    """No privacy key is configured where one is needed."""


def key_file() -> Path:
    return Path(os.environ.get("CDP_PRIVACY_KEY_FILE") or DEFAULT_KEY_FILE).expanduser()


def load_key() -> bytes | None:
    """The configured key, or None when there is none."""
    value = os.environ.get("CDP_PRIVACY_KEY")
    if value:
        return value.encode()
    path = key_file()
    if path.is_file():
        text = path.read_text().strip()
        return text.encode() if text else None
    return None


def require_key() -> bytes:
    key = load_key()
    if key is None:
        raise PrivacyKeyMissing(
            "no privacy key: set CDP_PRIVACY_KEY (or CDP_PRIVACY_KEY_FILE to a file that holds "
            f"it), or run `python -m cdp.privacy ensure-key` to create {key_file()}"
        )
    return key


def ensure_key() -> tuple[Path | None, bool]:
    """Make sure a key exists: ``(file, created)``; ``file`` is None when the key comes from
    ``CDP_PRIVACY_KEY``."""
    if os.environ.get("CDP_PRIVACY_KEY"):
        return None, False
    path = key_file()
    if path.is_file() and path.read_text().strip():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path, True


def derive(key: bytes, purpose: str) -> bytes:
    """The key of one purpose."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


def keyed_hash(value: str, key: bytes) -> str:
    """HMAC-SHA256 of ``value`` (already normalized) under ``key``, as hex."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def fingerprint(key: bytes) -> str:
    """Identifies a key without revealing it: recorded beside the hashes made with it."""
    return keyed_hash("cdp key fingerprint", derive(key, "fingerprint"))[:16]


def hmac_sql(expression: str, key: bytes) -> str:
    """A DuckDB expression computing ``keyed_hash(expression, key)`` natively.

    HMAC-SHA256 written out: sha256((K ^ opad) || sha256((K ^ ipad) || message)). The key
    appears in the SQL text as its two pads, so this text must never be logged or written
    to disk: use it only in statements run from Python, not in dbt models."""
    block_key = key if len(key) <= _BLOCK else hashlib.sha256(key).digest()
    padded = block_key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in padded).hex()
    outer = bytes(b ^ 0x5C for b in padded).hex()
    return f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({expression}))))"
