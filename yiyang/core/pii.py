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
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class DecryptionError(Exception):
    pass


@dataclass(frozen=True)
class _Keyring:
    current_id: int
    ciphers: dict[int, AESGCM]
    blind_key: bytes


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
    if settings.BLIND_INDEX_KEY:
        blind = base64.b64decode(settings.BLIND_INDEX_KEY)
    else:
        # Derived, domain-separated from the first (oldest-listed) key so rotation of the
        # encryption key does not silently change every index.
        blind = hmac.new(keys[-1][1], b"yiyang blind index v1", hashlib.sha256).digest()
    return _Keyring(current_id=keys[0][0], ciphers={kid: AESGCM(k) for kid, k in keys}, blind_key=blind)


def encrypt(value: str | None, context: str) -> bytes | None:
    if value is None or value == "":
        return None
    ring = keyring()
    nonce = os.urandom(12)
    ct = ring.ciphers[ring.current_id].encrypt(nonce, value.encode(), context.encode())
    return bytes([ring.current_id]) + nonce + ct


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
    mac = hmac.new(keyring().blind_key, context.encode() + b"\x00" + value.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def needs_rotation(blob: bytes | memoryview | None) -> bool:
    return bool(blob) and bytes(blob)[0] != keyring().current_id


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
