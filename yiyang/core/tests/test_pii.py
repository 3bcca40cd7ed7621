"""Field encryption, key rotation, tamper detection, blind index, masks."""

import base64

import pytest

from yiyang.core import pii


def key(n: int) -> str:
    return base64.b64encode(bytes([n]) * 32).decode()


@pytest.fixture
def keys(settings):
    def use(value: str, blind: str = key(7)):
        settings.FIELD_KEYS = value
        settings.BLIND_INDEX_KEY = blind
        pii.keyring.cache_clear()

    yield use
    pii.keyring.cache_clear()


def test_round_trip_and_random_nonce(keys):
    keys(f"1:{key(1)}")
    a = pii.encrypt("440304194503080027", "elder.id_number")
    b = pii.encrypt("440304194503080027", "elder.id_number")
    assert a != b  # a fresh nonce every time: equal values do not look equal
    assert pii.decrypt(a, "elder.id_number") == "440304194503080027"
    assert b"440304" not in a


def test_context_binds_ciphertext_to_its_column(keys):
    keys(f"1:{key(1)}")
    blob = pii.encrypt("13800138000", "elder.phone")
    with pytest.raises(pii.DecryptionError):
        pii.decrypt(blob, "elder.id_number")


def test_tampering_is_detected(keys):
    keys(f"1:{key(1)}")
    blob = bytearray(pii.encrypt("13800138000", "elder.phone"))
    blob[-1] ^= 1
    with pytest.raises(pii.DecryptionError):
        pii.decrypt(bytes(blob), "elder.phone")


def test_key_rotation_old_values_still_readable(keys):
    keys(f"1:{key(1)}")
    old = pii.encrypt("13800138000", "elder.phone")
    index_before = pii.blind_index("13800138000", "elder.phone")
    keys(f"2:{key(2)},1:{key(1)}")
    new = pii.encrypt("13800138000", "elder.phone")
    assert new[0] == 2 and old[0] == 1
    assert pii.decrypt(old, "elder.phone") == pii.decrypt(new, "elder.phone") == "13800138000"
    assert pii.needs_rotation(old) and not pii.needs_rotation(new)
    # The blind index has its own key, so rotation does not change it.
    assert pii.blind_index("13800138000", "elder.phone") == index_before


def test_unknown_key_id_is_an_error(keys):
    keys(f"1:{key(1)}")
    blob = pii.encrypt("x", "c")
    keys(f"3:{key(3)}")
    with pytest.raises(pii.DecryptionError):
        pii.decrypt(blob, "c")


def test_blind_index_is_keyed_and_scoped(keys):
    keys(f"1:{key(1)}")
    a = pii.blind_index("13800138000", "elder.phone")
    assert a == pii.blind_index("13800138000", "elder.phone")
    assert a != pii.blind_index("13800138000", "contact.phone")
    keys(f"1:{key(1)}", blind=key(9))
    assert a != pii.blind_index("13800138000", "elder.phone")
    assert len(a) == 32


def test_file_encryption(keys):
    keys(f"1:{key(1)}")
    blob = pii.encrypt_bytes("姓名,身份证号\n".encode(), "import.upload")
    assert "身份证号".encode() not in blob
    assert pii.decrypt_bytes(blob, "import.upload").decode() == "姓名,身份证号\n"


def test_bad_key_configuration(keys):
    keys("1:" + base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="16/24/32"):
        pii.keyring()


def test_masks():
    assert pii.mask_id_number("44030419450308002X") == "4403**********002X"
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_phone("0755-83331234") == "0755-****1234"
    assert pii.mask_address("深圳市福田区梅林一村12栋0304房") == "深圳市福田区梅林一****"
    assert pii.mask_phone("") == pii.mask_id_number("") == ""
