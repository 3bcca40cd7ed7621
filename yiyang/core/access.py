"""The jurisdiction primitive and the capability registry: what every app's ``access.py``
is built on.

Who may reach a record is two questions, always in this order:

1. *Jurisdiction* — is the record in the caller's region node or below? If not, it does
   not exist for them: ``NotFoundError`` (404), never a 403 that would confirm it exists.
2. *Capability* — may the caller's role do this to records it can see? If not,
   ``ForbiddenError`` (403).

``core`` knows neither elders nor assessments. Each app declares its own capabilities and
grants them to roles in ``<app>/access.py`` (``ELDER_VIEW = capability("elder.view", …)``,
``grant("commissioner", ELDER_VIEW, …)``) and writes its ``access_*`` functions on the three
primitives below: ``jurisdiction_prefix`` (the caller's node), ``jurisdiction_filter`` (a
queryset narrowed to it) and ``access_record`` (one record: malformed id → 404, absent →
404, outside → 404, role lacking the capability → 403). Relationship-based access (a
provider through a referral, a family member through consent) is written in the same place
on the same primitives.

Tested as a matrix of roles × regions × endpoints in ``tests/test_access_matrix.py``, which
reads the endpoints each app declares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet

from yiyang.core.exceptions import ForbiddenError, NotFoundError

M = TypeVar("M", bound=Model)

# A superuser holds what the highest administrative role holds (role codes are plain strings:
# ``core`` imports no app, and ``accounts.Role`` uses the same values).
SUPERUSER_ROLE = "city_admin"


@dataclass(frozen=True)
class Capability:
    code: str
    label: str
    app: str


CAPABILITIES: dict[str, Capability] = {}
_GRANTS: dict[str, set[str]] = {}


def capability(code: str, label: str) -> str:
    """Declare a capability (once, in its app's ``access.py``); returns its code."""
    app = code.split(".", 1)[0]
    existing = CAPABILITIES.get(code)
    if existing is not None and existing.label != label:
        raise ValueError(f"capability {code!r} declared twice with different labels")
    CAPABILITIES[code] = Capability(code, label, app)
    return code


def grant(role: str, *codes: str) -> None:
    """Give ``role`` the capabilities ``codes`` (declared first)."""
    for code in codes:
        if code not in CAPABILITIES:
            raise ValueError(f"undeclared capability {code!r}")
    _GRANTS.setdefault(str(role), set()).update(codes)


def role_capabilities(role: str) -> frozenset[str]:
    return frozenset(_GRANTS.get(str(role), ()))


def capabilities_of(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return role_capabilities(SUPERUSER_ROLE)
    return role_capabilities(user.role)


def has_capability(user: Any, code: str) -> bool:
    return code in capabilities_of(user)


def require_capability(user: Any, code: str) -> None:
    if not has_capability(user, code):
        raise ForbiddenError()


# --------------------------------------------------------------------------- jurisdiction


def prefix_range(prefix: str) -> tuple[str, str]:
    """Half-open range [lo, hi) of 12-digit region codes starting with ``prefix``.

    Digits only on both ends, so the comparison means the same under any collation
    (PostgreSQL's locale collations ignore punctuation like ':' at the first level), and a
    range is what an index on the code column serves best.
    """
    lo = prefix.ljust(12, "0")
    nxt = str(int(prefix) + 1).zfill(len(prefix))
    hi = nxt.ljust(12, "0") if len(nxt) == len(prefix) else "9" * 12 + "9"
    return lo, hi


def jurisdiction_prefix(user: Any) -> str | None:
    """The code prefix of the caller's node; '' for a superuser without a node (everything);
    None when the account has no node (sees nothing)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser and user.region_id is None:
        return ""
    if user.region_id is None:
        return None
    return str(user.region.prefix)


def at_community(user: Any) -> bool:
    """Whether the account is bound to a community (社区) — the front line, whose home page is
    a to-do list; a street or district account supervises (its home page is the overview)."""
    code = getattr(user, "region_id", None) or ""
    return len(code) == 12 and not code.endswith("000")


def in_jurisdiction(user: Any, region_code: str) -> bool:
    prefix = jurisdiction_prefix(user)
    return prefix is not None and (region_code or "").startswith(prefix)


def prefix_q(prefix: str, field: str) -> Q:
    """Rows whose ``field`` (a 12-digit code) lies under ``prefix``; everything for ''."""
    if prefix == "":
        return Q()
    lo, hi = prefix_range(prefix)
    return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})


def jurisdiction_filter(qs: QuerySet[M], user: Any, field: str = "region_code") -> QuerySet[M]:
    """``qs`` narrowed to the caller's node (by the region code in ``field``); empty for an
    account without a node."""
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return qs.none()
    return qs.filter(prefix_q(prefix, field))


def access_record(
    user: Any,
    qs: QuerySet[M],
    record_id: Any,
    *,
    region: str | Callable[[M], str],
    capabilities: Iterable[str] = (),
) -> M:
    """One record of ``qs`` by primary key, for ``user``.

    Malformed id, no such record, or a record outside the caller's node → ``NotFoundError``
    (all three look the same); inside, a role lacking any of ``capabilities`` →
    ``ForbiddenError``. ``region`` names the attribute holding the record's region code, or
    is a function returning it.
    """
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        raise NotFoundError()
    try:
        obj = qs.get(pk=record_id)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError, OverflowError):
        raise NotFoundError() from None
    code = region(obj) if callable(region) else getattr(obj, region)
    if not (code or "").startswith(prefix):
        raise NotFoundError()
    # Only now, inside the jurisdiction, may the answer differ by role: 403.
    for code_ in capabilities:
        require_capability(user, code_)
    return obj


__all__ = [
    "CAPABILITIES", "Capability", "ForbiddenError", "NotFoundError", "access_record", "capabilities_of",
    "capability", "grant", "has_capability", "in_jurisdiction", "jurisdiction_filter", "jurisdiction_prefix",
    "prefix_q", "prefix_range", "require_capability", "role_capabilities",
]
