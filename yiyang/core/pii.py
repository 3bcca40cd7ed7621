"""Field-level encryption and blind indexes for personal data (DESIGN §5).

* Each sensitive value is encrypted on its own with AES-256-GCM. Stored form:
  ``key-id byte | 12-byte nonce | ciphertext+tag``. The key id lets keys rotate: the
  first key in ``YIYANG_FIELD_KEY`` encrypts, every listed key decrypts.
* Exact search uses a keyed blind index: HMAC-SHA256 over the normalised value under a
  separate key, truncated to 128 bits, hex. Equal values give equal indexes; without the
  key the index reveals nothing.
* The associated data binds a ciphertext to its column ("elder.id_number"), so a value
  cannot be copied from one column to another unnoticed.

Cipher objects are built once per process and reused (PERFORMANCE.md: construction costs
about 0.84 µs).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class DecryptionError(Exception):
    pass


@dataclass(frozen=True)
class _Keyring:
    current_id: int
    ciphers: dict[int, AESGCM]
    blind_key: bytes
    current: AESGCM = field(init=False, repr=False)
    prefix: bytes = field(init=False, repr=False)
    blind_inner: Any = field(init=False, repr=False)
    blind_outer: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Looked up once here rather than on every encrypt().
        object.__setattr__(self, "current", self.ciphers[self.current_id])
        object.__setattr__(self, "prefix", bytes([self.current_id]))
        # HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once: each
        # blind index then costs two hash copies instead of a full HMAC set-up — the same
        # bytes as hmac.new(blind_key, msg, sha256), about half the time.
        key = self.blind_key if len(self.blind_key) <= 64 else hashlib.sha256(self.blind_key).digest()
        key = key.ljust(64, b"\0")
        object.__setattr__(self, "blind_inner", hashlib.sha256(key.translate(_IPAD)))
        object.__setattr__(self, "blind_outer", hashlib.sha256(key.translate(_OPAD)))


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def _parse_keys(raw: str) -> list[tuple[int, bytes]]:
    """``"1:base64,2:base64"`` or a bare base64 key (id 1)."""
    keys = []
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        if ":" in part:
            kid, b64 = part.split(":", 1)
            key_id = int(kid)
        else:
            key_id, b64 = 1, part
        key = base64.b64decode(b64)
        if len(key) not in (16, 24, 32):
            raise ValueError("YIYANG_FIELD_KEY: 每个密钥须为 16/24/32 字节的 base64")
        if not 0 < key_id < 256:
            raise ValueError("YIYANG_FIELD_KEY: 密钥编号须在 1–255 之间")
        keys.append((key_id, key))
    if not keys:
        raise ValueError("YIYANG_FIELD_KEY 为空")
    return keys


@lru_cache(maxsize=1)
def keyring() -> _Keyring:
    keys = _parse_keys(settings.FIELD_KEYS)
    blind = base64.b64decode(settings.BLIND_INDEX_KEY)
    if len(blind) < 16:
        raise ValueError("YIYANG_BLIND_INDEX_KEY 须为至少 16 字节的 base64")
    return _Keyring(current_id=keys[0][0], ciphers={kid: AESGCM(k) for kid, k in keys}, blind_key=blind)


def encrypt(value: str | None, context: str) -> bytes | None:
    if value is None or value == "":
        return None
    ring = keyring()
    nonce = os.urandom(12)
    return ring.prefix + nonce + ring.current.encrypt(nonce, value.encode(), context.encode())


def decrypt(blob: bytes | memoryview | None, context: str) -> str:
    if not blob:
        return ""
    blob = bytes(blob)
    ring = keyring()
    cipher = ring.ciphers.get(blob[0])
    if cipher is None:
        raise DecryptionError(f"unknown key id {blob[0]}")
    try:
        return cipher.decrypt(blob[1:13], blob[13:], context.encode()).decode()
    except Exception as exc:  # InvalidTag: wrong key or tampered value
        raise DecryptionError(str(exc)) from exc


def blind_index(value: str | None, context: str) -> str | None:
    if not value:
        return None
    ring = keyring()
    inner = ring.blind_inner.copy()
    inner.update(context.encode() + b"\x00" + value.encode())
    outer = ring.blind_outer.copy()
    outer.update(inner.digest())
    return outer.digest()[:16].hex()  # = hmac.new(blind_key, …, sha256).hexdigest()[:32]


def encrypt_bytes(data: bytes, context: str) -> bytes:
    """Encrypt a whole file (an uploaded import waiting for confirmation)."""
    ring = keyring()
    nonce = os.urandom(12)
    return bytes([ring.current_id]) + nonce + ring.ciphers[ring.current_id].encrypt(nonce, data, context.encode())


def decrypt_bytes(blob: bytes, context: str) -> bytes:
    ring = keyring()
    cipher = ring.ciphers.get(blob[0])
    if cipher is None:
        raise DecryptionError(f"unknown key id {blob[0]}")
    try:
        return cipher.decrypt(blob[1:13], blob[13:], context.encode())
    except Exception as exc:
        raise DecryptionError(str(exc)) from exc


def needs_rotation(blob: bytes | memoryview | None) -> bool:
    return blob is not None and len(blob) > 0 and bytes(blob)[0] != keyring().current_id


# -- masks ---------------------------------------------------------------------------------


def mask_id_number(value: str) -> str:
    """``440304194501011234`` → ``4403**********1234``."""
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; landlines keep area code and last 4."""
    if not value:
        return ""
    if "-" in value:  # landline: keep the area code
        area, number = value.split("-", 1)
        return f"{area}-{'*' * max(0, len(number) - 4)}{number[-4:]}"
    digits = value
    if len(digits) <= 7:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_address(value: str) -> str:
    """Keep the first part a worker needs to orient (street, estate); hide the rest."""
    if not value:
        return ""
    keep = max(4, len(value) // 2)
    return value[:keep] + "****"
