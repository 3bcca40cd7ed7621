"""Test data builders. Real rows through the real services where it matters."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

from django.contrib.auth.hashers import make_password

from yiyang.accounts.models import Role, User
from yiyang.core.identifiers import id_check_char
from yiyang.regions.models import Region
from yiyang.regions.services import region_tree_load

PASSWORD = "test-pass-123"
_PASSWORD_HASH: list[str] = []

# A small tree: 深圳市 > 福田区 (2 streets × 2 communities) and 罗湖区 (1 street × 1 community).
TREE = [
    ("440000000000", "广东省"),
    ("440300000000", "深圳市"),
    ("440304000000", "福田区"),
    ("440304006000", "梅林街道"),
    ("440304006001", "梅京社区"),
    ("440304006002", "上梅林社区"),
    ("440304007000", "莲花街道"),
    ("440304007001", "景田北社区"),
    ("440304007002", "莲花东社区"),
    ("440303000000", "罗湖区"),
    ("440303001000", "桂园街道"),
    ("440303001001", "松园社区"),
]
COMMUNITY_A = "440304006001"  # 梅林 / 梅京
COMMUNITY_A2 = "440304006002"  # 梅林 / 上梅林
COMMUNITY_B = "440304007001"  # 莲花 / 景田北
COMMUNITY_OTHER_DISTRICT = "440303001001"  # 罗湖 / 松园

_seq = itertools.count(1)


def load_tree() -> None:
    region_tree_load(rows=[{"code": c, "name": n} for c, n in TREE], version="test")


def make_id_number(birth: dt.date = dt.date(1945, 3, 8), sex: str = "F", area: str = "440304") -> str:
    """A valid, unique 18-digit ID number."""
    n = next(_seq)
    order = (n % 500) * 2 + (1 if sex == "M" else 0)
    birth = birth - dt.timedelta(days=n // 500)
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def shared_password_hash() -> str:
    """One hash of PASSWORD per process (hashing is slow by design)."""
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(make_password(PASSWORD))
    return _PASSWORD_HASH[0]


def make_user(username: str, role: str, region_code: str | None, **extra) -> User:
    return User.objects.create(
        username=username, role=role, region=Region.objects.get(code=region_code) if region_code else None,
        password=shared_password_hash(), full_name=extra.pop("full_name", username), **extra,
    )


ROLE_NODES = {
    # role → the node it is bound to in the access matrix
    Role.COMMISSIONER: COMMUNITY_A,
    Role.POINT_LEAD: COMMUNITY_A,
    Role.COMMUNITY_ADMIN: COMMUNITY_A,
    Role.STREET_ADMIN: "440304006000",
    Role.DISTRICT_ADMIN: "440304000000",
    Role.CITY_ADMIN: "440300000000",
    Role.PROVIDER_STAFF: COMMUNITY_A,
    Role.OPERATOR: "440304000000",
    Role.TIMEBANK_MEMBER: COMMUNITY_A,
}


def elder_data(region_code: str = COMMUNITY_A, **overrides) -> dict:
    data = {
        "name": "王秀英",
        "id_number": make_id_number(),
        "region_code": region_code,
        "phone": f"1700{next(_seq):07d}",
        "address": "深圳市福田区梅林一村12栋0304房",
        "living_situation": "alone",
        "categories": ["subsistence"],
    }
    data.update(overrides)
    return data


def make_elder(actor: User | None = None, region_code: str = COMMUNITY_A, **overrides):
    from yiyang.elders.services import elder_register

    if actor is None:
        actor = User.objects.filter(is_superuser=True).first() or make_user(
            f"root{next(_seq)}", Role.CITY_ADMIN, None, is_superuser=True
        )
    return elder_register(actor=actor, data=elder_data(region_code, **overrides))


def run_worker():
    """Run every background task that is ready, as ``yiyang worker --batch`` does: the
    reactions to the events a test's services wrote (they commit with the events and run
    after)."""
    from yiyang.core.tasks import run_batch

    return run_batch()


@contextlib.contextmanager
def module_world(django_db_blocker, build):
    """Rows a whole test module shares, written once by ``build()`` in an outer transaction and
    rolled back after the module (the CI budget: worlds per module, not per test)::

        @pytest.fixture(scope="module")
        def world(django_db_setup, django_db_blocker):
            with factories.module_world(django_db_blocker, _build) as w:
                yield w
    """
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
