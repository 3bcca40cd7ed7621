"""The booking as one PostgreSQL function: ``timebank_book`` locks the accounts in key order,
checks the holders' balances after the lock, chains each entry's hash, and writes the
transaction, its entries and the accounts' caches — one statement, so a booking called in
autocommit is one round trip and one commit (``ledger.ledger_book`` calls it on PostgreSQL;
on SQLite the booking stays in Python, where a round trip costs nothing).

The hash is computed by ``timebank_entry_hash``, generated here from ``ledger.HASH_INPUT`` —
the one definition of the hash input that ``ledger.entry_hash`` (and so ``verify-ledger``)
uses too; ``tests/test_ledger_sql.py`` checks both give the same digest. It uses PostgreSQL's
built-in ``sha256(bytea)`` (PostgreSQL 11+), not pgcrypto, which is not always installed.

Migration ``0003_booking_function`` installs both functions on PostgreSQL only. If the hash
input ever changes, a new migration runs ``create_statements()`` again (``CREATE OR REPLACE``).
"""

# ruff: noqa: S608 - the SQL here is generated from constants of this module and ledger.py, never from input

from __future__ import annotations

from yiyang.timebank.ledger import GENESIS, HASH_INPUT, HASH_TAG

_SQL_TYPE = {"text": "text", "int": "bigint", "id": "text", "time": "timestamptz"}


def _sql_text(kind: str, name: str) -> str:
    """The SQL expression writing parameter ``name`` as ``ledger._hash_text`` writes it."""
    if kind == "time":
        return f"""to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00'"""
    if kind == "int":
        return f"{name}::text"
    return f"coalesce({name}, '')"


def hash_expression(args: dict[str, str]) -> str:
    """The SQL expression of an entry's hash, from an SQL expression for each field of
    ``HASH_INPUT`` (each field used once, so PostgreSQL may inline it)."""
    parts = ", ".join([f"'{HASH_TAG}'", *(_sql_text(kind, args[name]) for name, kind in HASH_INPUT)])
    return f"encode(sha256(convert_to(concat_ws(chr(31), {parts}), 'UTF8')), 'hex')"


def hash_function_sql() -> str:
    """``timebank_entry_hash``: the hash as a function, for tests and for checking by hand. STABLE
    (``to_char`` is), so that the planner inlines it."""
    params = ", ".join(f"p_{name} {_SQL_TYPE[kind]}" for name, kind in HASH_INPUT)
    body = hash_expression({name: f"p_{name}" for name, _ in HASH_INPUT})
    return f"""
CREATE OR REPLACE FUNCTION timebank_entry_hash({params}) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT {body}
$$"""


# The hash input of one leg from the booking function's variables. The expression is written
# into the function's body, not called: a call of an SQL function from PL/pgSQL that is not
# inlined is planned again on every call (0.5 ms each, measured).
_HASH_ARGS = {
    "prev_hash": "v_prev", "account_id": "v_ids[k]", "seq": "v_seqs[k]", "amount": "p_amounts[i]",
    "balance_after": "v_bals[k]", "created_at": "p_at", "transaction_id": "p_id::text", "category": "p_category",
    "service_kind": "p_service_kind", "region_code": "p_region_code", "other_region_code": "p_other_region_code",
    "reason": "p_reason", "reference": "p_reference", "corrects_id": "p_corrects::text",
    "actor_id": "p_actor::text", "transaction_created_at": "p_at",
}

BOOK_SIGNATURE = ("uuid, text, text, text, text, text, text, uuid, bigint, timestamptz, bigint[], bigint[], "
                  "text[]")


def book_function_sql() -> str:
    digest = hash_expression(_HASH_ARGS)
    return f"""
CREATE OR REPLACE FUNCTION timebank_book(
    p_id uuid, p_category text, p_service_kind text, p_region_code text, p_other_region_code text,
    p_reason text, p_reference text, p_corrects uuid, p_actor bigint, p_at timestamptz,
    p_accounts bigint[], p_amounts bigint[], p_non_negative text[])
RETURNS TABLE (r_account bigint, r_refused boolean, r_balance bigint, r_seq bigint, r_head text, r_name text,
               r_needed bigint)
LANGUAGE plpgsql AS $$
-- One booking (see yiyang/timebank/ledger_sql.py). Refused for want of credits: one row with
-- r_refused, nothing written. Booked: one row per account with its new caches.
DECLARE
    v_ids bigint[] := '{{}}'; v_kinds text[] := '{{}}'; v_names text[] := '{{}}';
    v_bals bigint[] := '{{}}'; v_seqs bigint[] := '{{}}'; v_heads text[] := '{{}}';
    v_totals bigint[];
    e_acc bigint[] := '{{}}'; e_seq bigint[] := '{{}}'; e_bal bigint[] := '{{}}';
    e_prev text[] := '{{}}'; e_hash text[] := '{{}}';
    v_prev text; i int; k int; n int := coalesce(array_length(p_accounts, 1), 0); r record;
BEGIN
    -- Lock in key order (two bookings over the same accounts wait, never deadlock) and read
    -- the caches after the lock.
    FOR r IN SELECT a.id, a.kind, a.name, a.balance, a.seq, a.head_hash FROM timebank_account a
             WHERE a.id = ANY(p_accounts) ORDER BY a.id FOR UPDATE LOOP
        v_ids := v_ids || r.id; v_kinds := v_kinds || r.kind::text; v_names := v_names || r.name::text;
        v_bals := v_bals || r.balance; v_seqs := v_seqs || r.seq; v_heads := v_heads || r.head_hash::text;
    END LOOP;
    v_totals := array_fill(0::bigint, ARRAY[coalesce(array_length(v_ids, 1), 0)]);
    FOR i IN 1..n LOOP
        k := array_position(v_ids, p_accounts[i]);
        IF k IS NULL THEN
            RAISE EXCEPTION USING MESSAGE = 'no account ' || p_accounts[i], ERRCODE = 'foreign_key_violation';
        END IF;
        v_totals[k] := v_totals[k] + p_amounts[i];
    END LOOP;
    FOR k IN 1..coalesce(array_length(v_ids, 1), 0) LOOP
        IF v_kinds[k] = ANY(p_non_negative) AND v_bals[k] + v_totals[k] < 0 THEN
            RETURN QUERY SELECT v_ids[k], true, v_bals[k], v_seqs[k], v_heads[k], v_names[k], -v_totals[k];
            RETURN;
        END IF;
    END LOOP;
    FOR i IN 1..n LOOP
        k := array_position(v_ids, p_accounts[i]);
        v_prev := coalesce(nullif(v_heads[k], ''), '{GENESIS}');
        v_seqs[k] := v_seqs[k] + 1;
        v_bals[k] := v_bals[k] + p_amounts[i];
        v_heads[k] := {digest};
        e_acc := e_acc || v_ids[k]; e_seq := e_seq || v_seqs[k]; e_bal := e_bal || v_bals[k];
        e_prev := e_prev || v_prev; e_hash := e_hash || v_heads[k];
    END LOOP;
    INSERT INTO timebank_ledgertransaction (id, category, service_kind, region_code, other_region_code, reason,
                                            reference, corrects_id, actor_id, created_at)
    VALUES (p_id, p_category, p_service_kind, p_region_code, p_other_region_code, p_reason, p_reference,
            p_corrects, p_actor, p_at);
    -- Entry ids follow the legs' order, so an account's entries are in id order of their seq.
    INSERT INTO timebank_entry (transaction_id, account_id, seq, amount, balance_after, created_at, prev_hash, hash)
    SELECT p_id, u.a, u.s, u.am, u.b, p_at, u.pr, u.h
    FROM unnest(e_acc, e_seq, p_amounts, e_bal, e_prev, e_hash) WITH ORDINALITY AS u(a, s, am, b, pr, h, o)
    ORDER BY u.o;
    UPDATE timebank_account AS t SET balance = u.b, seq = u.s, head_hash = u.h
    FROM unnest(v_ids, v_bals, v_seqs, v_heads) AS u(id, b, s, h) WHERE t.id = u.id;
    RETURN QUERY SELECT u.id, false, u.b, u.s, u.h, u.nm, 0::bigint
    FROM unnest(v_ids, v_bals, v_seqs, v_heads, v_names) AS u(id, b, s, h, nm);
END;
$$"""


def create_statements() -> list[str]:
    return [hash_function_sql(), book_function_sql()]


def drop_statements() -> list[str]:
    args = ", ".join(_SQL_TYPE[kind] for _, kind in HASH_INPUT)
    return [f"DROP FUNCTION IF EXISTS timebank_book({BOOK_SIGNATURE})",
            f"DROP FUNCTION IF EXISTS timebank_entry_hash({args})"]
