"""Who may read and pay out the lists of those entitled (发放名单) and run the monthly payment
rounds (发放批次). Reading an elder's own entitlements is the elder registry's ``elder.view``;
these capabilities are a bureau's: the list of a whole community or street, its export, and
the four-eyes round (drafted by one person, approved by another)."""

from __future__ import annotations

from typing import Any

from yiyang.accounts.models import Role
from yiyang.core.access import access_record, capability, grant
from yiyang.entitlements.models import PaymentRound

RECIPIENTS_VIEW = capability("benefit.recipients", "查看发放名单")
RECIPIENTS_EXPORT = capability("benefit.export", "导出发放名单")
ROUND_DRAFT = capability("benefit.round_draft", "编制和提交发放批次")
ROUND_APPROVE = capability("benefit.round_approve", "审核发放批次")

# A point lead checks their community's list; administrators draft rounds for their node;
# street, district and city administrators approve (never their own draft: services check it).
grant(Role.POINT_LEAD, RECIPIENTS_VIEW)
grant(Role.COMMUNITY_ADMIN, RECIPIENTS_VIEW, RECIPIENTS_EXPORT, ROUND_DRAFT)
for _role in (Role.STREET_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
    grant(_role, RECIPIENTS_VIEW, RECIPIENTS_EXPORT, ROUND_DRAFT, ROUND_APPROVE)

# Pages of the payment lists: the "发放名单" navigation item is current on these (and the
# "新近可享受" item is not).
PAYMENT_URL_NAMES = ("recipients_index", "recipients", "recipients_export", "rounds", "round_draft",
                     "round_detail", "round_submit", "round_approve", "round_cancel", "round_export")


def access_round(user: Any, round_id: Any, *capabilities: str) -> PaymentRound:
    """One payment round, if its node lies in the caller's jurisdiction (else 404) and the
    role may view payment lists and do ``capabilities`` (else 403)."""
    qs = PaymentRound.objects.select_related("benefit", "previous", "drafted_by", "submitted_by", "approved_by",
                                             "exported_by", "cancelled_by")
    return access_record(user, qs, round_id, region="region_code", capabilities=(RECIPIENTS_VIEW, *capabilities))
