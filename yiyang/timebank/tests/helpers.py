"""The time bank's test world: the small tree of tests/factories, a time-bank point per
community used, staff, members. Built once per module (``module_world``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction

from tests import factories
from yiyang.stations.models import ServicePoint
from yiyang.timebank.services import member_register

_seq = itertools.count(1)


def make_point(region_code: str = factories.COMMUNITY_A, name: str = "梅京社区时间银行服务点") -> ServicePoint:
    return ServicePoint.objects.create(name=name, kind=ServicePoint.Kind.TIME_BANK, region_id=region_code)


def make_member(actor: Any, *, name: str = "张志强", born: dt.date = dt.date(1990, 5, 1), sex: str = "M",
                region_code: str = factories.COMMUNITY_A, **kw: Any):
    n = next(_seq)
    return member_register(actor=actor, name=name, id_number=factories.make_id_number(born, sex),
                           region_code=region_code, phone=f"1390000{n:04d}", **kw)


@contextlib.contextmanager
def rolled_back(build: Callable[[], Any], django_db_blocker: Any) -> Iterator[Any]:
    """Build a world inside a transaction held open for the module, rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def ledger_wipe() -> None:
    """Empty the time bank's tables in a transactional test's clean-up: the suite's flush
    empties SQLite tables with DELETE, which the ledger's triggers refuse, so the ledger (and
    what points at it) goes first, with the triggers off for a moment."""
    from django.db import connection

    from yiyang.timebank.triggers import triggers_create, triggers_drop

    triggers_drop()
    try:
        with connection.cursor() as cur:
            for table in ("timebank_fraudflag", "timebank_redemption", "timebank_servicerequest", "timebank_entry"):
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            cur.execute("UPDATE timebank_ledgertransaction SET corrects_id = NULL")
            cur.execute("DELETE FROM timebank_ledgertransaction")
    finally:
        triggers_create()
