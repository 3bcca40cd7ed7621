"""Two redemptions racing for the last credits: each in its own thread with its own database
connection, released at the same instant. Exactly one succeeds, on SQLite (writers serialised
by BEGIN IMMEDIATE) and on PostgreSQL (the account rows locked FOR UPDATE, the balance read
after the lock)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection
from django_tasks_db.utils import is_locked_database_exception

from tests import factories
from yiyang.timebank import ledger
from yiyang.timebank.ledger import InsufficientCredits, ledger_book, ledger_verify
from yiyang.timebank.models import Account, Category, LedgerTransaction
from yiyang.timebank.tests.helpers import ledger_wipe, make_member, make_point


@pytest.fixture
def committed_ledger(transactional_db):
    """Rows committed for real (other connections must see them). The test database is
    emptied after the test; SQLite empties with DELETE, which the append-only triggers refuse,
    so the ledger's rows are removed here with the triggers off for a moment."""
    yield
    ledger_wipe()


@pytest.mark.parametrize("racers", [2, 4])
def test_redemptions_racing_for_the_last_credits_never_both_succeed(committed_ledger, racers):
    factories.load_tree()
    root = factories.make_user("root", "city_admin", None, is_superuser=True)
    point = ledger.point_account(make_point())
    member = make_member(root)
    acc = member.account
    ledger_book(category=Category.SERVICE, legs=[(point, -100), (acc, 100)], region_code=acc.region_code)
    barrier = threading.Barrier(racers)
    won: list[str] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def redeem(i: int) -> None:
        try:
            mine = Account.objects.get(pk=acc.pk)  # a stale copy, read before the race: balance 100
            their_point = Account.objects.get(pk=point.pk)
            barrier.wait()
            for attempt in range(200):
                try:
                    ledger_book(category=Category.REDEMPTION, legs=[(mine, -100), (their_point, 100)],
                                region_code=acc.region_code, reference=f"racer-{i}")
                    break
                except OperationalError as exc:
                    # The suite's in-memory SQLite database is shared between threads in
                    # shared-cache mode, where a second writer is told "table is locked" at once
                    # instead of waiting out the busy timeout as on the file database: try again,
                    # as the file database's own wait would.
                    if not is_locked_database_exception(exc) or attempt == 199:
                        raise
                    time.sleep(0.01)
            won.append(f"racer-{i}")
        except InsufficientCredits:
            refused.append(f"racer-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(racers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(won) == 1 and len(refused) == racers - 1
    assert Account.objects.get(pk=acc.pk).balance == 0 == ledger.balance_of(acc)
    assert LedgerTransaction.objects.filter(category=Category.REDEMPTION).count() == 1
    assert ledger_verify().ok
