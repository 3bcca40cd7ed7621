"""The ledger's one write path and its verifier.

``ledger_book`` is the only function that writes entries. It locks the accounts of the booking
(``SELECT … FOR UPDATE`` in primary-key order, so two bookings over the same accounts never
deadlock; on SQLite every write transaction is ``BEGIN IMMEDIATE`` and writers are serialised
by the database), reads their balances *after* the lock, refuses a holder's account going below
zero, then appends one entry per leg — chained to the account's previous entry by hash — and
moves the account's caches (balance, sequence number, head hash) in the same transaction.
Two redemptions racing for the last credits therefore queue on the account's row: the second
sees the first's balance and is refused (docs/timebank.md). On PostgreSQL these steps run in
the database as one function call (``ledger_sql.py``: one round trip per booking); on SQLite
in Python.

``ledger_verify`` recomputes everything from the entries: every hash and chain link, every
account's sequence without gaps, each transaction balanced with at least two legs, no holder's
account below zero at any point, and the caches equal to the entries. It names the first
broken entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from yiyang.core.exceptions import ApplicationError
from yiyang.timebank.models import Account, Category, Entry, LedgerTransaction, credits_text

GENESIS = "0" * 64


class InsufficientCredits(ApplicationError):
    status = 409
    code = "insufficient_credits"


def _ts(value: Any) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


# The hash input, defined once: the fields in order, each with how it is written as text —
# ``text`` as is, ``int`` in decimal, ``id`` as text or empty when absent (uuid, user id),
# ``time`` in UTC ISO 8601 with microseconds. ``entry_hash`` joins them with U+001F after the
# tag and hashes the UTF-8 bytes with SHA-256; ``ledger_sql.py`` generates PostgreSQL's
# ``timebank_entry_hash`` (used by the booking function) from the same tuple, and a test
# checks that both give the same digest.
HASH_TAG = "yiyang-timebank-v1"
HASH_INPUT: tuple[tuple[str, str], ...] = (
    ("prev_hash", "text"), ("account_id", "int"), ("seq", "int"), ("amount", "int"), ("balance_after", "int"),
    ("created_at", "time"), ("transaction_id", "id"), ("category", "text"), ("service_kind", "text"),
    ("region_code", "text"), ("other_region_code", "text"), ("reason", "text"), ("reference", "text"),
    ("corrects_id", "id"), ("actor_id", "id"), ("transaction_created_at", "time"),
)


def _hash_text(kind: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if kind == "time":
        return _ts(value)
    return str(value)


def hash_of(values: dict[str, Any]) -> str:
    """SHA-256 of the hash input ``values`` (a value for every field of ``HASH_INPUT``)."""
    text = "\x1f".join([HASH_TAG, *(_hash_text(kind, values[name]) for name, kind in HASH_INPUT)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(*, prev_hash: str, account_id: int, seq: int, amount: int, balance_after: int, created_at: Any,
               txn: LedgerTransaction) -> str:
    """SHA-256 over every field of the entry and of its transaction that matters."""
    return hash_of({
        "prev_hash": prev_hash, "account_id": account_id, "seq": seq, "amount": amount,
        "balance_after": balance_after, "created_at": created_at, "transaction_id": txn.pk,
        "category": txn.category, "service_kind": txn.service_kind, "region_code": txn.region_code,
        "other_region_code": txn.other_region_code, "reason": txn.reason, "reference": txn.reference,
        "corrects_id": txn.corrects_id, "actor_id": txn.actor_id, "transaction_created_at": txn.created_at,
    })


# --------------------------------------------------------------------------- accounts


def _account_get_or_create(lookup: dict[str, Any], defaults: dict[str, Any]) -> Account:
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup, **defaults, created_at=timezone.now())
    except IntegrityError:  # opened at the same instant by another request
        return Account.objects.get(**lookup)


def member_account(member: Any) -> Account:
    return _account_get_or_create({"member": member}, {"kind": Account.Kind.PERSON, "region_code": member.region_id,
                                                       "name": f"{member.name}（个人）"})


def team_account(team: Any) -> Account:
    return _account_get_or_create({"team": team}, {"kind": Account.Kind.TEAM, "region_code": team.region_id,
                                                   "name": f"{team.name}（团队）"})


def point_account(point: Any) -> Account:
    return _account_get_or_create({"service_point": point}, {"kind": Account.Kind.POINT,
                                                             "region_code": point.region_id,
                                                             "name": f"{point.name}（服务点）"})


def pool_region(region_code: str) -> str:
    """Each district has one donation pool: the code of the district of ``region_code``."""
    return region_code[:6] + "000000"


def pool_account(region_code: str) -> Account:
    code = pool_region(region_code)
    return _account_get_or_create({"kind": Account.Kind.POOL, "region_code": code},
                                  {"name": f"爱心池 {code[:6]}"})


# --------------------------------------------------------------------------- booking


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: int


def ledger_book(
    *,
    category: str,
    legs: Sequence[Leg] | Iterable[tuple[Account, int]],
    actor: Any = None,
    region_code: str,
    service_kind: str = "",
    reason: str = "",
    reference: str = "",
    other_region_code: str = "",
    corrects: LedgerTransaction | None = None,
    at: Any = None,
) -> LedgerTransaction:
    """Book one balanced transaction. Raises ``InsufficientCredits`` when a holder's account
    would go below zero (nothing is written then)."""
    pairs = [(leg.account, leg.amount) if isinstance(leg, Leg) else (leg[0], leg[1]) for leg in legs]
    if category not in Category.values:
        raise ValueError(f"unknown category {category!r}")
    if len(pairs) < 2 or any(int(a) == 0 for _, a in pairs):
        raise ValueError("a booking has at least two legs, none of them zero")
    if sum(int(a) for _, a in pairs) != 0:
        raise ValueError("a booking must balance")
    if category == Category.CORRECTION and (corrects is None or not reason.strip()):
        raise ValueError("a correction names the booking it corrects and a reason")
    now = at or timezone.now()
    if connection.vendor == "postgresql":
        return _book_pg(category=category, pairs=pairs, actor=actor, region_code=region_code,
                        service_kind=service_kind, reason=reason, reference=reference,
                        other_region_code=other_region_code, corrects=corrects, now=now)
    with transaction.atomic():
        ids = sorted({acc.pk for acc, _ in pairs})
        locked = _lock_accounts(ids)
        totals: dict[int, int] = {}
        for acc, amount in pairs:
            totals[acc.pk] = totals.get(acc.pk, 0) + int(amount)
        for pk, delta in totals.items():
            row = locked.get(pk)
            if row is None:
                raise ValueError(f"no account {pk}")
            if row.kind in Account.NON_NEGATIVE and row.balance + delta < 0:
                raise InsufficientCredits(
                    f"{row.name}积分不足：余额 {credits_text(row.balance)}，需要 {credits_text(-delta)}",
                    detail={"account": pk, "balance": row.balance, "needed": -delta})
        txn = LedgerTransaction(id=uuid.uuid4(), category=category, service_kind=service_kind,
                                region_code=region_code, other_region_code=other_region_code, reason=reason,
                                reference=reference, corrects=corrects, actor=actor if getattr(actor, "pk", None)
                                else None, created_at=now)
        entries = []
        for acc_, amount in pairs:
            row = locked[acc_.pk]
            prev = row.head_hash or GENESIS
            row.seq += 1
            row.balance += int(amount)
            row.head_hash = entry_hash(prev_hash=prev, account_id=acc_.pk, seq=row.seq, amount=int(amount),
                                       balance_after=row.balance, created_at=now, txn=txn)
            entries.append((acc_.pk, row.seq, int(amount), row.balance, prev, row.head_hash))
        _write(txn, entries, {pk: locked[pk] for pk in totals})
        # The caller's copies follow the booking.
        for acc_, _ in pairs:
            row = locked[acc_.pk]
            acc_.balance, acc_.seq, acc_.head_hash = row.balance, row.seq, row.head_hash
    return txn


def _book_pg(*, category: str, pairs: list[tuple[Account, int]], actor: Any, region_code: str, service_kind: str,
             reason: str, reference: str, other_region_code: str, corrects: LedgerTransaction | None,
             now: Any) -> LedgerTransaction:
    """The booking on PostgreSQL: one call of ``timebank_book`` (ledger_sql.py), which locks,
    checks, hashes and writes. Outside a transaction the call is its own transaction — one
    round trip; inside one (a certification that also moves the request) it runs in a
    savepoint, as the Python booking does, so a refusal leaves the caller's transaction usable."""
    txn = LedgerTransaction(id=uuid.uuid4(), category=category, service_kind=service_kind, region_code=region_code,
                            other_region_code=other_region_code, reason=reason, reference=reference,
                            corrects=corrects, actor=actor if getattr(actor, "pk", None) else None, created_at=now)
    params = [txn.pk, category, service_kind, region_code, other_region_code, reason, reference,
              corrects.pk if corrects is not None else None, txn.actor_id, now,
              [int(acc.pk) for acc, _ in pairs], [int(a) for _, a in pairs], [str(k) for k in Account.NON_NEGATIVE]]
    sql = ("SELECT r_account, r_refused, r_balance, r_seq, r_head, r_name, r_needed FROM timebank_book("
           "%s::uuid, %s, %s, %s, %s, %s, %s, %s::uuid, %s::bigint, %s::timestamptz, %s::bigint[], %s::bigint[], "
           "%s::text[])")
    if connection.in_atomic_block:
        with transaction.atomic():
            rows = _call_prepared(sql, params)
    else:
        rows = _call_prepared(sql, params)
    if rows and rows[0][1]:
        pk, _, balance, _, _, name, needed = rows[0]
        raise InsufficientCredits(f"{name}积分不足：余额 {credits_text(balance)}，需要 {credits_text(needed)}",
                                  detail={"account": pk, "balance": balance, "needed": needed})
    caches = {r[0]: (int(r[2]), int(r[3]), r[4]) for r in rows}
    for acc, _ in pairs:  # the caller's copies follow the booking
        acc.balance, acc.seq, acc.head_hash = caches[acc.pk]
    txn._state.adding = False
    txn._state.db = connection.alias
    return txn


def _call_prepared(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """The call through psycopg's own cursor, with server-side parameters and the statement
    prepared once per connection: Django's cursor quotes every parameter into the text of the
    query on the client (0.13 ms of a booking's 0.6 ms of client CPU, measured) and the server
    parses and plans it each time. Database errors still arrive as Django's (IntegrityError…).
    The price: the call is not in Django's query log (``connection.queries``). Behind PgBouncer in
    transaction mode, prepared statements need PgBouncer 1.21+ (``max_prepared_statements``)."""
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors:
        cur = psycopg.Cursor(connection.connection)
        try:
            cur.execute(sql, params, prepare=True)
            return cur.fetchall()
        finally:
            cur.close()


# The booking's statements on SQLite, in SQL: this is the ledger's hot path (every certification,
# transfer, donation, redemption), and the ORM's per-statement overhead was most of a booking's
# cost (benchmarks/timebank.py: ~20 ms of Python per booking through the ORM on this 2-core
# machine under load). On PostgreSQL the same steps run in the database (``_book_pg``).


@dataclass
class _Row:
    kind: str
    name: str
    balance: int
    seq: int
    head_hash: str


def _lock_accounts(ids: list[int]) -> dict[int, _Row]:
    """Lock the accounts (``FOR UPDATE`` in key order; SQLite's write lock is already held since
    ``BEGIN IMMEDIATE``) and read their caches after the lock."""
    marks = ", ".join(["%s"] * len(ids))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, kind, name, balance, seq, head_hash FROM timebank_account "  # noqa: S608 - marks only
                    f"WHERE id IN ({marks}) ORDER BY id{lock}", ids)
        return {r[0]: _Row(r[1], r[2], int(r[3]), int(r[4]), r[5] or "") for r in cur.fetchall()}


TXN_COLUMNS = ("id, category, service_kind, region_code, other_region_code, reason, reference, corrects_id, "
               "actor_id, created_at")
ENTRY_COLUMNS = "transaction_id, account_id, seq, amount, balance_after, created_at, prev_hash, hash"


def _write(txn: LedgerTransaction, entries: list[tuple[int, int, int, int, str, str]],
           accounts: dict[int, _Row]) -> None:
    """The transaction row, its entries and the accounts' caches (SQLite)."""
    opts = LedgerTransaction._meta
    db = connection
    id_field = opts.get_field("id")
    created = opts.get_field("created_at").get_db_prep_save(txn.created_at, db)
    tid = id_field.get_db_prep_save(txn.pk, db)
    txn_params = [tid, txn.category, txn.service_kind, txn.region_code, txn.other_region_code, txn.reason,
                  txn.reference, id_field.get_db_prep_save(txn.corrects_id, db) if txn.corrects_id else None,
                  txn.actor_id, created]
    entry_values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(entries))
    entry_params: list[Any] = []
    for account_id, seq, amount, balance_after, prev, digest in entries:
        entry_params += [tid, account_id, seq, amount, balance_after, created, prev, digest]
    account_params = [(pk, row.balance, row.seq, row.head_hash) for pk, row in accounts.items()]
    with db.cursor() as cur:
        cur.execute(f"INSERT INTO timebank_ledgertransaction ({TXN_COLUMNS}) "  # noqa: S608 - placeholders only
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", txn_params)
        cur.execute(f"INSERT INTO timebank_entry ({ENTRY_COLUMNS}) VALUES {entry_values}",  # noqa: S608
                    entry_params)
        cur.executemany("UPDATE timebank_account SET balance = %s, seq = %s, head_hash = %s WHERE id = %s",
                        [(b, q, h, pk) for pk, b, q, h in account_params])
    txn._state.adding = False
    txn._state.db = db.alias


def ledger_correct(*, actor: Any, booking: LedgerTransaction, reason: str, at: Any = None) -> LedgerTransaction:
    """Undo ``booking`` by a compensating transaction (every leg negated) that names it and
    why. A booking is corrected at most once; a correction is not itself corrected (book a
    new transaction instead)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("请填写冲正原因", code="reason_required")
    if booking.category == Category.CORRECTION:
        raise ApplicationError("冲正记账不能再冲正", code="not_correctable")
    if LedgerTransaction.objects.filter(corrects=booking).exists():
        raise ApplicationError("该记账已冲正", code="already_corrected", status=409)
    legs = [(e.account, -e.amount) for e in booking.entries.select_related("account").order_by("id")]
    try:
        return ledger_book(category=Category.CORRECTION, legs=legs, actor=actor, region_code=booking.region_code,
                           service_kind=booking.service_kind, reason=reason, reference=str(booking.pk),
                           corrects=booking, at=at)
    except IntegrityError:  # corrected at the same instant by someone else
        raise ApplicationError("该记账已冲正", code="already_corrected", status=409) from None


# --------------------------------------------------------------------------- reading


def balance_of(account: Account) -> int:
    """The balance as the sum of the entries (the cache ``Account.balance`` must equal it)."""
    from django.db.models import Sum

    return int(account.entries.aggregate(s=Sum("amount"))["s"] or 0)


# --------------------------------------------------------------------------- verifying


@dataclass
class Problem:
    entry_id: int | None
    account_id: int | None
    transaction_id: str | None
    message: str


@dataclass
class VerifyReport:
    entries: int = 0
    transactions: int = 0
    accounts: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        with_entry = [p for p in self.problems if p.entry_id is not None]
        if with_entry:
            return min(with_entry, key=lambda p: p.entry_id or 0)
        return self.problems[0] if self.problems else None


def ledger_verify(*, chunk: int = 5000) -> VerifyReport:
    """Recompute the chain and every invariant from the rows as they are in the database."""
    report = VerifyReport()
    txns = {t.pk: t for t in LedgerTransaction.objects.all()}
    report.transactions = len(txns)
    accounts = {a.pk: a for a in Account.objects.all()}
    report.accounts = len(accounts)
    state: dict[int, tuple[int, int, str]] = {}  # account → (seq, balance, head)
    txn_sums: dict[Any, int] = {}
    txn_legs: dict[Any, int] = {}
    last_id = 0
    while True:
        batch = list(Entry.objects.filter(id__gt=last_id).order_by("id")[:chunk])
        if not batch:
            break
        for e in batch:
            report.entries += 1
            last_id = e.id
            acc = accounts.get(e.account_id)
            txn = txns.get(e.transaction_id)
            seq, bal, head = state.get(e.account_id, (0, 0, GENESIS))
            def problem(message: str, e: Entry = e) -> Problem:
                return Problem(e.id, e.account_id, str(e.transaction_id), message)

            if acc is None or txn is None:
                report.problems.append(problem("分录指向不存在的账户或记账"))
                continue
            if e.seq != seq + 1:
                report.problems.append(problem(f"账户分录序号不连续：应为 {seq + 1}，实为 {e.seq}"
                                                                 "（有分录被删除或插入）"))
            if e.prev_hash != head:
                report.problems.append(problem("链接断裂：上一分录摘要不符（前一分录被改动或删除）"))
            bal += e.amount
            if e.balance_after != bal:
                report.problems.append(problem(f"记账后余额不符：按分录累计为 {credits_text(bal)}，"
                                                                 f"记录为 {credits_text(e.balance_after)}"))
            if acc.kind in Account.NON_NEGATIVE and bal < 0:
                report.problems.append(problem(f"账户余额为负：{credits_text(bal)}"))
            expected = entry_hash(prev_hash=e.prev_hash, account_id=e.account_id, seq=e.seq, amount=e.amount,
                                  balance_after=e.balance_after, created_at=e.created_at, txn=txn)
            if expected != e.hash:
                report.problems.append(problem("摘要不符：分录或其记账的内容被改动"))
            state[e.account_id] = (e.seq, bal, e.hash)
            txn_sums[e.transaction_id] = txn_sums.get(e.transaction_id, 0) + e.amount
            txn_legs[e.transaction_id] = txn_legs.get(e.transaction_id, 0) + 1
    for pk, txn in txns.items():
        if txn_legs.get(pk, 0) < 2:
            report.problems.append(Problem(None, None, str(pk), "记账的分录少于两条"))
        elif txn_sums[pk] != 0:
            # Named by the transaction: the entry that was changed is named by its own hash.
            report.problems.append(Problem(None, None, str(pk), f"记账借贷不平：合计 {credits_text(txn_sums[pk])}"))
        if txn.category == Category.CORRECTION and (txn.corrects_id is None or not txn.reason):
            report.problems.append(Problem(None, None, str(pk), "冲正记账缺少被冲正的记账或原因"))
    for apk, acc in accounts.items():
        seq, bal, head = state.get(apk, (0, 0, GENESIS))
        last = Entry.objects.filter(account_id=apk).order_by("-seq").values_list("id", flat=True).first()
        if (acc.seq, acc.balance, acc.head_hash or GENESIS) != (seq, bal, head):
            report.problems.append(Problem(last, apk, None,
                                           f"账户缓存与分录不符：缓存余额 {credits_text(acc.balance)}、分录数 {acc.seq}；"
                                           f"分录合计 {credits_text(bal)}、分录数 {seq}"
                                           + ("；最新摘要不符（末尾分录被删除或改动）" if acc.head_hash != head and
                                              acc.head_hash else "")))
    return report
