"""The ledger: balanced, append-only bookings (the database refuses UPDATE and DELETE), balances
equal to the sums of entries, corrections as compensating entries with a reason, the hash chain
and ``yiyang verify-ledger`` finding a row changed behind the application's back, and the
invariants under random sequences of operations (hypothesis)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from yiyang.core.exceptions import ApplicationError
from yiyang.timebank import ledger
from yiyang.timebank.ledger import InsufficientCredits, ledger_book, ledger_correct, ledger_verify
from yiyang.timebank.models import Account, Category, Entry, LedgerTransaction
from yiyang.timebank.tests.helpers import make_member, make_point, rolled_back
from yiyang.timebank.triggers import triggers_create, triggers_drop


def build():
    factories.load_tree()
    root = factories.make_user("root", "city_admin", None, is_superuser=True, is_staff=True)
    point = make_point()
    members = [make_member(root, name=n) for n in ("张志强", "李秀兰", "王建华", "赵丽")]
    return {"root": root, "point": ledger.point_account(point), "accounts": [m.account for m in members],
            "pool": ledger.pool_account(factories.COMMUNITY_A)}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(build, django_db_blocker) as built:
        yield built


@pytest.fixture
def w(world, db):
    return world


def fresh(acc: Account) -> Account:
    return Account.objects.get(pk=acc.pk)


def test_a_certified_service_moves_credits_from_the_point_and_the_books_balance(w):
    a, point = w["accounts"][0], w["point"]
    txn = ledger_book(category=Category.SERVICE, service_kind="company", legs=[(point, -150), (a, 150)],
                      actor=w["root"], region_code=a.region_code, reference="svc-1")
    assert fresh(a).balance == 150 == ledger.balance_of(a)
    assert fresh(point).balance == -150
    assert txn.entries.aggregate(s=Sum("amount"))["s"] == 0
    assert (Entry.objects.aggregate(s=Sum("amount"))["s"] or 0) == 0
    assert ledger_verify().ok


@pytest.mark.parametrize("legs", [[], [(0, 100)], [(0, 100), (1, -99)], [(0, 0), (1, 0)]])
def test_unbalanced_or_empty_bookings_are_refused(w, legs):
    accounts = w["accounts"]
    with pytest.raises(ValueError):
        ledger_book(category=Category.TRANSFER, legs=[(accounts[i], amt) for i, amt in legs], region_code="x")


def test_a_holder_never_goes_below_zero_and_nothing_is_written_when_refused(w):
    a, b = w["accounts"][1], w["accounts"][2]
    before = Entry.objects.count()
    with pytest.raises(InsufficientCredits) as exc:
        ledger_book(category=Category.TRANSFER, legs=[(a, -1), (b, 1)], region_code=a.region_code)
    assert "积分不足" in exc.value.message
    assert Entry.objects.count() == before and fresh(a).balance == 0


def test_a_correction_is_a_compensating_booking_with_a_reason_once(w):
    a, point = w["accounts"][2], w["point"]
    txn = ledger_book(category=Category.SERVICE, service_kind="meal", legs=[(point, -200), (a, 200)],
                      region_code=a.region_code)
    with pytest.raises(ApplicationError):
        ledger_correct(actor=w["root"], booking=txn, reason="  ")
    fix = ledger_correct(actor=w["root"], booking=txn, reason="服务时长录入错误")
    assert fix.category == Category.CORRECTION and fix.corrects_id == txn.pk and fix.reason == "服务时长录入错误"
    assert sorted(fix.entries.values_list("amount", flat=True)) == [-200, 200]
    assert fresh(a).balance == 0 == ledger.balance_of(a)
    with pytest.raises(ApplicationError) as again:
        ledger_correct(actor=w["root"], booking=txn, reason="再冲一次")
    assert again.value.code == "already_corrected"
    with pytest.raises(ApplicationError):
        ledger_correct(actor=w["root"], booking=fix, reason="冲正的冲正")
    # The original is still there, unchanged: the history shows both.
    assert LedgerTransaction.objects.filter(pk=txn.pk).exists()
    assert ledger_verify().ok


def test_a_correction_that_would_overdraw_is_refused(w):
    a, b, point = w["accounts"][3], w["accounts"][0], w["point"]
    txn = ledger_book(category=Category.SERVICE, legs=[(point, -100), (a, 100)], region_code=a.region_code)
    ledger_book(category=Category.TRANSFER, legs=[(a, -100), (b, 100)], region_code=a.region_code)
    with pytest.raises(InsufficientCredits):
        ledger_correct(actor=w["root"], booking=txn, reason="误记")


@pytest.mark.parametrize("sql", [
    "UPDATE timebank_entry SET amount = amount + 1",
    "DELETE FROM timebank_entry",
    "UPDATE timebank_ledgertransaction SET reason = 'x'",
    "DELETE FROM timebank_ledgertransaction",
])
def test_the_database_refuses_update_and_delete(w, sql):
    a, point = w["accounts"][0], w["point"]
    ledger_book(category=Category.SERVICE, legs=[(point, -10), (a, 10)], region_code=a.region_code)
    with pytest.raises((IntegrityError, DatabaseError)) as exc, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
    assert "append-only" in str(exc.value)
    # Through the ORM too.
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Entry.objects.filter(account=a).update(amount=0)


def verify_command() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
        return 0, out.getvalue()
    except CommandError as exc:
        return exc.returncode, err.getvalue() + str(exc)


TAMPERS = {
    # what an insider with the database password might do, and what must give it away
    "amount": "UPDATE timebank_entry SET amount = amount + 100, balance_after = balance_after + 100 WHERE id = {e}",
    "reason": "UPDATE timebank_ledgertransaction SET reason = '改过的事由' WHERE id = '{t}'",
    "time": "UPDATE timebank_entry SET created_at = '2020-01-01 00:00:00' WHERE id = {e}",
    "account": "UPDATE timebank_entry SET account_id = {other} WHERE id = {e}",
    "delete_middle": "DELETE FROM timebank_entry WHERE id = {e}",
}


@pytest.mark.parametrize("kind", sorted(TAMPERS))
def test_a_row_changed_behind_the_applications_back_is_found(w, kind):
    a, b, point = w["accounts"][0], w["accounts"][1], w["point"]
    ledger_book(category=Category.SERVICE, legs=[(point, -300), (a, 300)], region_code=a.region_code)
    mid = ledger_book(category=Category.TRANSFER, legs=[(a, -100), (b, 100)], region_code=a.region_code,
                      reason="转给家人")
    ledger_book(category=Category.TRANSFER, legs=[(a, -50), (b, 50)], region_code=a.region_code)
    assert verify_command()[0] == 0
    target = mid.entries.get(account=a)
    tid = mid.pk.hex if connection.vendor == "sqlite" else str(mid.pk)
    triggers_drop()
    try:
        with connection.cursor() as cur:
            cur.execute(TAMPERS[kind].format(e=target.pk, t=tid, other=w["accounts"][2].pk))
        report = ledger_verify()
        assert not report.ok
        code, text = verify_command()
    finally:
        triggers_create()
    assert code == 1
    if kind == "delete_middle":
        # the next entry of the account no longer links to its predecessor
        assert report.first.entry_id > target.pk and "序号不连续" in report.first.message
    else:
        assert report.first.entry_id == target.pk
    assert f"分录 {report.first.entry_id}" in text


def test_deleting_the_last_entry_is_found_by_the_accounts_head(w):
    a, point = w["accounts"][0], w["point"]
    last = ledger_book(category=Category.SERVICE, legs=[(point, -70), (a, 70)], region_code=a.region_code)
    triggers_drop()
    try:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM timebank_entry WHERE transaction_id IN ('{last.pk.hex}', '{last.pk}')")
        report = ledger_verify()
    finally:
        triggers_create()
    assert not report.ok
    messages = " ".join(p.message for p in report.problems)
    assert "分录少于两条" in messages and "账户缓存与分录不符" in messages


def test_the_cli_wires_verify_ledger(w, monkeypatch):
    """``yiyang verify-ledger`` runs the command (Django's runner closes the connections when it
    ends, so the command itself is run here through call_command)."""
    import django.core.management

    from yiyang.cli import main

    seen = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", seen.append)
    main(["verify-ledger", "--all"])
    assert seen == [["yiyang", "verify_ledger", "--all"]]
    assert verify_command() == (0, verify_command()[1]) and "账本完好" in verify_command()[1]


# --------------------------------------------------------------------------- property-based

OPS = st.lists(
    st.tuples(st.sampled_from(["earn", "transfer", "donate", "redeem", "correct"]),
              st.integers(0, 3), st.integers(0, 3), st.integers(1, 500)),
    min_size=1, max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_invariants_hold_under_random_sequences_of_operations(w, ops):
    """Any sequence of bookings — some refused for want of credits — leaves every transaction
    balanced, no holder below zero, every cached balance equal to its sum, and a chain that
    verifies; the total over all accounts is zero."""
    accounts, point, pool = w["accounts"], w["point"], w["pool"]
    with transaction.atomic():
        booked: list[LedgerTransaction] = []
        expected = {acc.pk: fresh(acc).balance for acc in [*accounts, point, pool]}
        for op, i, j, amount in ops:
            src, dst = accounts[i], accounts[j]
            legs = {
                "earn": [(point, -amount), (src, amount)],
                "transfer": [(src, -amount), (dst, amount)] if i != j else None,
                "donate": [(src, -amount), (pool, amount)],
                "redeem": [(src, -amount), (point, amount)],
                "correct": None,
            }[op]
            try:
                if op == "correct":
                    if not booked:
                        continue
                    txn = booked.pop(i % len(booked))
                    fix = ledger_correct(actor=None, booking=txn, reason="随机冲正")
                    for e in fix.entries.all():
                        expected[e.account_id] += e.amount
                    continue
                if legs is None:
                    continue
                would = {}
                for acc, amt in legs:
                    would[acc.pk] = expected[acc.pk] + amt
                txn = ledger_book(category=Category.TRANSFER, legs=legs, region_code=src.region_code)
                expected.update(would)
                booked.append(txn)
            except InsufficientCredits:
                assert any(v < 0 for pk, v in would.items() if pk != point.pk) if op != "correct" else True
        for pk, value in expected.items():
            acc = Account.objects.get(pk=pk)
            assert acc.balance == value == ledger.balance_of(acc)
            if acc.kind in Account.NON_NEGATIVE:
                assert acc.balance >= 0
        assert (Entry.objects.aggregate(s=Sum("amount"))["s"] or 0) == 0
        assert ledger_verify().ok
        transaction.set_rollback(True)
