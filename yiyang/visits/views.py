"""Visit pages (htmx-free where a plain form does: a phone on a weak network). Thin: access_*,
selectors and services, as the API."""

from __future__ import annotations

import io
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiyang.core import access
from yiyang.core.exceptions import ApplicationError, FieldErrors
from yiyang.core.overview import month_parse
from yiyang.core.replica import stale_reads_view
from yiyang.elders import access as elder_access
from yiyang.visits import access as visit_access
from yiyang.visits import selectors, services
from yiyang.visits.forms import PlanCancelForm, VisitForm
from yiyang.visits.home import _due_text, _near
from yiyang.visits.models import Outcome, PlanStatus, Risk, Way


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """The worker's list: due and overdue visits, overdue first, nearest first once the phone
    has said where she is."""
    visit_access.access_plans(request.user)
    day = timezone.localdate()
    region = request.GET.get("region", "")
    scope = selectors.rate_scope(request.user, region) if region else ""
    items = selectors.plans_due(request.user, on=day, near=_near(request), region=scope)
    phase = request.GET.get("phase", "")
    if phase == "overdue":
        items = [i for i in items if i.phase == "overdue"]
    way = request.GET.get("way", "")
    if way == "home":
        items = [i for i in items if i.plan.way == Way.HOME]
    elif way == "remote":  # calls and video calls: made from the desk, in any order
        items = [i for i in items if i.plan.way != Way.HOME]
    rows = [(i, _due_text(i, day)) for i in items]
    return render(request, "visits/today.html", {
        "rows": rows, "day": day, "phase": phase, "way": way, "located": _near(request) is not None,
        "count_overdue": sum(1 for i in items if i.phase == "overdue"),
        "can_record": access.has_capability(request.user, visit_access.VISIT_RECORD),
        "unlocated": sum(1 for i in items if not i.plan.elder.home_cell),
    })


@login_required
def record(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id)
    visit_access.access_plans(request.user, visit_access.VISIT_RECORD)
    from yiyang.surveys.selectors import need_tag_names

    needs = list(need_tag_names().items())
    form = VisitForm(request.POST or None, need_choices=needs)
    plan = (selectors.elder_plans(elder).filter(status=PlanStatus.OPEN, window_start__lte=timezone.localdate())
            .order_by("due_date").first())
    if not form.is_bound and plan is not None:
        form.initial["way"] = plan.way
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        position = (d["latitude"], d["longitude"]) if d["latitude"] is not None and d["longitude"] is not None else None
        try:
            visit = services.visit_record(
                actor=request.user, elder=elder, visited_at=d["visited_at"], way=d["way"], outcome=d["outcome"],
                missed_reason=d["missed_reason"], elder_state=d["elder_state"], findings=d["findings"],
                risks=d["risks"], needs_changed=d["needs_changed"],
                follow_ups=[services.FollowUpIn(t, due) for t, due in d["follow_ups"]],
                position=position, set_home=d["set_home"], backdate_note=d["backdate_note"],
            )
        except FieldErrors as exc:
            errors = exc.detail.get("fields", {}) if isinstance(exc.detail, dict) else {}
            for field, msgs in errors.items():
                for m in msgs:
                    form.add_error(field if field in form.fields else None, m)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            nxt = (selectors.elder_plans(elder).filter(status=PlanStatus.OPEN).order_by("due_date")
                   .values_list("due_date", flat=True).first())
            text = gettext("已记录%(elder)s的探访（%(outcome)s）。") % {
                "elder": elder.name, "outcome": Outcome(visit.outcome).label}
            if nxt:
                # Translators: the next two sentences are appended to the one before (in English, start with a
                # space). "n月j日" is a date format (Django's date filter): month and day.
                text += gettext("下次应访：%(date)s前。") % {"date": date_format(nxt, gettext("n月j日"))}
            if visit.checkin_far:
                text += gettext("签到位置距住址约 %(m)s 米，已标记。") % {"m": visit.checkin_distance_m}
            messages.success(request, text)
            return redirect(request.POST.get("next") or reverse("visits:today"))
    from yiyang.elders.registry import visit_sections_html

    return render(request, "visits/record.html", {
        "elder": elder, "form": form, "plan": plan, "sections": visit_sections_html(request, elder), "phase": plan.phase(timezone.localdate()) if plan else "",
        "can_backdate": access.has_capability(request.user, visit_access.VISIT_BACKDATE),
        "next": request.GET.get("next", ""),
    }, status=422 if request.method == "POST" else 200)


@login_required
def detail(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    visit = visit_access.access_visit(request.user, visit_id)
    from yiyang.surveys.selectors import need_tag_names

    names = need_tag_names()
    return render(request, "visits/detail.html", {
        "visit": visit, "risks": [Risk(r).label for r in visit.risks if r in Risk.values],
        "needs": [names.get(n, n) for n in visit.needs_changed], "way": Way(visit.way).label,
        "outcome": Outcome(visit.outcome).label,
    })


@login_required
@require_POST
def plan_cancel(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = visit_access.access_plan(request.user, plan_id, visit_access.VISIT_PLAN_CANCEL)
    form = PlanCancelForm(request.POST)
    try:
        if not form.is_valid():
            raise FieldErrors({"reason": ["请写明取消原因（最多200字）"]})
        services.visit_plan_cancel(actor=request.user, plan=plan, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        fields = exc.detail.get("fields", {}) if isinstance(exc.detail, dict) else {}
        messages.error(request, "；".join(m for ms in fields.values() for m in ms) or exc.message)
    else:
        messages.success(request, gettext("已取消本期探访计划，原因已记录。"))
    return redirect("elders:detail", elder_id=plan.elder_id)


@login_required
def not_seen(request: HttpRequest) -> HttpResponse:
    elder_access.access_elders(request.user)
    qs = selectors.not_seen(request.user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    from django.conf import settings

    return render(request, "visits/not_seen.html", {"page": page, "days": settings.YIYANG["NOT_SEEN_DAYS"]})


@login_required
@stale_reads_view  # an indicator: a second stale is fine (core/replica.py)
def rate(request: HttpRequest) -> HttpResponse:
    """The rate of one region and month, with its children's, each number a link to its list."""
    visit_access.access_plans(request.user, visit_access.VISIT_RATE_VIEW)
    try:
        month = month_parse(request.GET.get("month"))
        prefix = selectors.rate_scope(request.user, request.GET.get("region", ""))
    except ApplicationError as exc:
        return render(request, "visits/rate.html", {"error": exc.message}, status=400)
    from yiyang.regions.models import Region

    code = prefix.ljust(12, "0")
    node = Region.objects.filter(code=code).first()
    children = list(node.children.filter(active=True).order_by("code")) if node else []
    regions = [*children, node] if node else []
    # Which rows can be opened further: one query for all of them, not one per row.
    with_children = set(Region.objects.filter(parent__in=children)
                        .order_by().values_list("parent_id", flat=True).distinct()) if children else set()
    rates = selectors.visit_rate_by_region(regions, month) if regions else {}
    indicator = selectors.visit_rate_by_region(regions, month, indicator_only=True) if regions else {}
    rows = []
    for r in regions:
        due, done = rates.get(r.code, (0, 0))
        idue, idone = indicator.get(r.code, (0, 0))
        q = {"region": r.code, "month": f"{month:%Y-%m}"}
        rows.append({"region": r, "due": due, "done": done, "rate": None if not due else done / due,
                     "idue": idue, "idone": idone, "irate": None if not idue else idone / idue,
                     "total": r is node, "q": urlencode(q),
                     "drill": reverse("visits:rate") + "?" + urlencode(q) if r is not node and r.code in with_children else ""})
    return render(request, "visits/rate.html", {"rows": rows, "month": month, "node": node})


@login_required
@stale_reads_view
def rate_elders(request: HttpRequest) -> HttpResponse:
    """The elders behind a number: the denominator (due), the numerator (done), or the gap."""
    try:
        month = month_parse(request.GET.get("month"))
        prefix = selectors.rate_scope(request.user, request.GET.get("region", ""))
    except ApplicationError as exc:
        return render(request, "visits/rate.html", {"error": exc.message}, status=400)
    kind = request.GET.get("kind", "due")
    if kind not in ("due", "done", "missing"):
        kind = "due"
    indicator = request.GET.get("indicator") == "1"
    plans = selectors.rate_plans(request.user, prefix, month, kind, indicator_only=indicator)
    if request.GET.get("format") == "xlsx":
        return _rate_xlsx(plans, month, kind)
    page = Paginator(plans, 100).get_page(request.GET.get("page"))
    from yiyang.regions.models import Region

    region = Region.objects.filter(code=prefix.ljust(12, "0")).first()
    return render(request, "visits/rate_elders.html", {
        "page": page, "kind": kind, "month": month, "region": region, "indicator": indicator,
        "query": urlencode({"region": prefix.ljust(12, "0"), "month": f"{month:%Y-%m}", "kind": kind,
                            **({"indicator": "1"} if indicator else {})}),
    })


KIND_LABELS = {"due": "应访", "done": "已访", "missing": "应访未访"}


def _rate_xlsx(plans, month, kind) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{month:%Y-%m} {KIND_LABELS[kind]}")
    sheet.append(["姓名", "社区代码", "探访规则", "应访日", "状态", "探访时间"])
    for p in plans.iterator(chunk_size=2000):
        sheet.append([p.elder.name, p.region_code, p.rule.name, p.due_date, str(PlanStatus(p.status).label),
                      timezone.localtime(p.visit.visited_at).replace(tzinfo=None) if p.visit else None])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="visit-rate-{month:%Y-%m}-{kind}.xlsx"'
    return response
