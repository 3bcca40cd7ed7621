"""The PostgreSQL booking function hashes exactly as ``ledger.entry_hash`` (one definition of
the hash input, ``ledger.HASH_INPUT``), and its bookings pass ``ledger_verify``."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiyang.timebank.ledger import HASH_INPUT, hash_of
from yiyang.timebank.ledger_sql import _SQL_TYPE

pytestmark = pytest.mark.django_db

only_pg = pytest.mark.skipif(connection.vendor != "postgresql", reason="the booking function is PostgreSQL's")

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
_time = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1),  # noqa: DTZ001 - naive bounds, zones below
                     timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8)),
                                                dt.timezone(dt.timedelta(hours=-5, minutes=-30))]))
_STRATEGY = {
    "text": _text,
    "int": st.integers(min_value=-(2**62), max_value=2**62),
    "id": st.one_of(st.none(), st.uuids().map(str), st.integers(min_value=1, max_value=2**40).map(str)),
    "time": _time,
}
_inputs = st.fixed_dictionaries({name: _STRATEGY[kind] for name, kind in HASH_INPUT})


def _sql_hash(values: dict) -> str:
    marks = ", ".join(f"%s::{_SQL_TYPE[kind]}" for _, kind in HASH_INPUT)
    with connection.cursor() as cur:
        cur.execute(f"SELECT timebank_entry_hash({marks})", [values[name] for name, _ in HASH_INPUT])  # noqa: S608
        return cur.fetchone()[0]


@only_pg
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=_inputs)
def test_sql_and_python_hash_agree(values):
    assert _sql_hash(values) == hash_of(values)


@only_pg
def test_sql_and_python_hash_agree_on_a_real_shape():
    values = {name: "" for name, _ in HASH_INPUT}
    values.update(prev_hash="0" * 64, account_id=17, seq=1, amount=-150, balance_after=0,
                  created_at=dt.datetime(2026, 12, 3, 1, 2, 3, tzinfo=dt.UTC), transaction_id=str(uuid.uuid4()),
                  category="correction", reason="误记：重复认证（王阿姨 12 月 2 日）", corrects_id=str(uuid.uuid4()),
                  actor_id="42", transaction_created_at=dt.datetime(2026, 12, 3, 1, 2, 3, 500, tzinfo=dt.UTC))
    assert _sql_hash(values) == hash_of(values)


@only_pg
def test_the_function_books_repeated_accounts_and_refuses_without_spoiling_the_callers_transaction():
    from django.db import transaction

    from tests import factories
    from yiyang.timebank import ledger
    from yiyang.timebank.ledger import InsufficientCredits, ledger_book, ledger_verify
    from yiyang.timebank.models import Category, Entry
    from yiyang.timebank.tests.helpers import make_member, make_point

    factories.load_tree()
    root = factories.make_user("root_sql", "city_admin", None, is_superuser=True, is_staff=True)
    point = ledger.point_account(make_point())
    a, b = (make_member(root, name=n).account for n in ("张志强", "李秀兰"))
    # Two legs on one account in one booking: chained in leg order.
    ledger_book(category=Category.SERVICE, legs=[(point, -300), (a, 100), (a, 200)], actor=root,
                region_code=a.region_code, reason="两段服务")
    assert (a.balance, a.seq) == (300, 2)
    seqs = list(Entry.objects.filter(account=a.account if hasattr(a, "account") else a).order_by("id")
                .values_list("seq", flat=True))
    assert seqs == [1, 2]
    with transaction.atomic():
        with pytest.raises(InsufficientCredits) as refused:
            ledger_book(category=Category.TRANSFER, legs=[(a, -301), (b, 301)], region_code=a.region_code)
        assert refused.value.detail == {"account": a.pk, "balance": 300, "needed": 301}
        ledger_book(category=Category.TRANSFER, legs=[(a, -300), (b, 300)], region_code=a.region_code)
    assert (a.balance, b.balance) == (0, 300)
    assert ledger_verify().ok
