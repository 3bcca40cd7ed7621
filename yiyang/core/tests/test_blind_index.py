"""The blind index is HMAC-SHA256 truncated to 128 bits, hex — whatever the implementation."""

import base64
import hashlib
import hmac

import pytest

from yiyang.core import pii


@pytest.mark.parametrize("key_length", [16, 32, 64, 65, 100])
def test_blind_index_equals_the_standard_hmac(settings, key_length):
    key = bytes(range(1, key_length + 1))
    settings.BLIND_INDEX_KEY = base64.b64encode(key).decode()
    pii.keyring.cache_clear()
    try:
        for value, context in [("440304194503080027", "elder.id_number"), ("13800138000", "elder.phone"),
                               ("深圳市福田区", "x")]:
            expected = hmac.new(key, context.encode() + b"\x00" + value.encode(), hashlib.sha256).hexdigest()[:32]
            assert pii.blind_index(value, context) == expected
            assert pii.blind_index(value, context) == expected  # the precomputed pads are not consumed
        assert pii.blind_index("", "elder.phone") is None
    finally:
        pii.keyring.cache_clear()
