"""Pages of the directory: the public search (no login; a list, not a map, that works on a
phone), one service, and a provider's own services with the edit and "still right" buttons."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiyang.core import geo
from yiyang.core.access import has_capability
from yiyang.core.exceptions import FieldErrors, ForbiddenError
from yiyang.core.replica import stale_reads_view
from yiyang.core.web import forbidden, form_add_errors
from yiyang.directory import access, selectors, services
from yiyang.directory.forms import SearchForm, ServiceEditForm
from yiyang.directory.models import Service
from yiyang.regions.models import Region


def _need_choices() -> list[tuple[str, str]]:
    from yiyang.surveys.selectors import need_tag_names

    return list(need_tag_names().items())


def _region_choices() -> list[tuple[str, str]]:
    codes = Service.objects.filter(status__in=selectors.VISIBLE).values_list("region_id", flat=True).distinct()
    regions = Region.objects.filter(code__in=list(codes)).select_related("parent").order_by("code")
    return [(r.code, f"{r.parent.name if r.parent else ''} {r.name}".strip()) for r in regions]


def _distance_text(metres: float | None) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return gettext("%(m)d 米") % {"m": round(metres / 10) * 10}
    return gettext("%(km).1f 公里") % {"km": metres / 1000}


@stale_reads_view  # the public search: a second stale is fine (core/replica.py)
def search(request: HttpRequest) -> HttpResponse:
    needs = _need_choices()
    form = SearchForm(request.GET or None, needs=needs, regions=_region_choices())
    near = None
    hits: list[selectors.Hit] = []
    if form.is_bound and not form.is_valid():
        pass
    else:
        data = form.cleaned_data if form.is_bound else {}
        if data.get("lat") is not None and data.get("lon") is not None:
            try:
                near = geo.position_check(data["lat"], data["lon"])
            except geo.PositionError as exc:
                form.add_error(None, str(exc))
        hits = selectors.search(kind=data.get("kind", ""), need=data.get("need", ""), region=data.get("region", ""),
                                q=data.get("q", ""), near=near, limit=50)
    names = dict(needs)
    rows = [{"hit": h, "needs": [names.get(n.need, n.need) for n in h.service.needs.all()],
             "stale": selectors.is_stale(h.service), "distance": _distance_text(h.distance_m)} for h in hits]
    return render(request, "directory/search.html", {"form": form, "rows": rows, "near": near,
                                                     "stale_days": selectors.stale_days()})


def detail(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    try:
        service = selectors.service_detail(service_id)
    except Service.DoesNotExist:
        raise Http404 from None
    names = dict(_need_choices())
    can_edit = request.user.is_authenticated and access.editable_services(request.user).filter(pk=service.pk).exists()
    return render(request, "directory/detail.html", {
        "s": service, "needs": [names.get(n.need, n.need) for n in service.needs.all()],
        "hours": services.hours_text(service), "stale": selectors.is_stale(service),
        "stale_days": selectors.stale_days(), "can_edit": can_edit,
    })


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    qs = access.editable_services(request.user)
    if not (has_capability(request.user, access.DIRECTORY_PROVIDER)
            or has_capability(request.user, access.DIRECTORY_MANAGE)):
        return forbidden(request, ForbiddenError())
    rows = list(selectors.with_details(qs.order_by("name"))[:200])
    return render(request, "directory/mine.html", {
        "rows": [(s, selectors.is_stale(s)) for s in rows], "stale_days": selectors.stale_days(),
        "stale_count": selectors.stale_services(qs).count(),
    })


@login_required
def edit(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    service = access.access_service_edit(request.user, service_id)
    service = selectors.with_details(Service.objects.filter(pk=service.pk)).get()
    initial = {"status": service.status, "phone": service.phone, "hours": services.hours_text(service),
               "fees_description": service.fees_description, "description": service.description}
    form = ServiceEditForm(request.POST or None, initial=initial)
    capacities = list(service.capacities.all())
    costs = list(service.cost_options.all())
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["capacities"] = [{"unit": c.unit, "available": request.POST.get(f"cap_{c.pk}_available", c.available),
                               "maximum": request.POST.get(f"cap_{c.pk}_maximum", c.maximum)} for c in capacities]
        data["cost_options"] = [{"option": c.option, "amount": request.POST.get(f"cost_{c.pk}_amount", c.amount),
                                 "amount_description": c.amount_description} for c in costs]
        try:
            services.service_update(actor=request.user, service=service, data=data,
                                    expected_version=int(request.POST.get("version") or service.version))
        except FieldErrors as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, gettext("已保存，并确认为最新信息"))
            return redirect("directory:detail", service_id=service.pk)
    return render(request, "directory/edit.html", {"s": service, "form": form, "capacities": capacities,
                                                   "costs": costs, "post": request.POST},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def confirm(request: HttpRequest, service_id: uuid.UUID) -> HttpResponse:
    service = access.access_service_edit(request.user, service_id)
    services.service_confirm(actor=request.user, service=service)
    messages.success(request, gettext("已确认“%(name)s”的信息仍然准确") % {"name": service.name})
    return redirect("directory:mine")


@stale_reads_view
def fairness(request: HttpRequest) -> HttpResponse:
    """Public: how recommendations are ranked (the weights and the circle) and, per month, each
    organisation's share of the lists shown — steering toward a favourite would show here."""
    from collections import Counter

    from django.utils import timezone

    from yiyang.directory import matching
    from yiyang.directory.models import Organization, RecommendationLog, Referral

    today = timezone.localdate()
    month = request.GET.get("month") or f"{today:%Y-%m}"
    try:
        year, mon = (int(x) for x in month.split("-"))
        start = dt.datetime(year, mon, 1, tzinfo=timezone.get_current_timezone())
    except (ValueError, TypeError):
        raise Http404 from None
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=timezone.get_current_timezone())
    shown: Counter[str] = Counter()
    first: Counter[str] = Counter()
    lists = 0
    for items in RecommendationLog.objects.filter(at__gte=start, at__lt=end).values_list("items", flat=True).iterator():
        lists += 1
        for item in items:
            shown[item["organization_id"]] += 1
            if item["rank"] == 1:
                first[item["organization_id"]] += 1
    referred: Counter[str] = Counter()
    taken: Counter[str] = Counter()
    for org, status in Referral.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "organization_id", "status"):
        referred[str(org)] += 1
        taken[str(org)] += status in (Referral.Status.ACCEPTED, Referral.Status.DELIVERED, Referral.Status.CHECKED)
    orgs = set(shown) | set(referred)
    names = dict(Organization.objects.filter(pk__in=list(orgs)).values_list("pk", "name"))
    total_shown, total_referred = sum(shown.values()), sum(referred.values())
    rows = sorted(({"name": names.get(uuid.UUID(o), o), "shown": shown[o], "first": first[o],
                    "share": round(100 * shown[o] / total_shown, 1) if total_shown else 0.0,
                    "referred": referred[o], "accepted": taken[o],
                    "referred_share": round(100 * referred[o] / total_referred, 1) if total_referred else 0.0}
                   for o in orgs), key=lambda r: (-int(r["shown"]), -int(r["referred"])))  # type: ignore[call-overload]
    speed, detour, circle = matching.walk_settings()
    weights = [(matching.FACTOR_NAMES[k], v) for k, v in matching.weights().items()]
    kind_names = dict(Service.Kind.choices)
    benefit_names = dict(matching.benefit_names())
    payers = [(benefit_names.get(code, code), "、".join(str(kind_names.get(k, k)) for k in kinds))
              for code, kinds in matching.cost_benefits().items()]
    return render(request, "directory/fairness.html", {
        "rows": rows[:100], "lists": lists, "referrals": total_referred, "month": month, "payers": payers, "weights": weights, "speed": speed, "detour": detour,
        "circle": circle, "reach": round(3 * circle * speed / detour)})


# -- 养老服务清单 --------------------------------------------------------------------------------------

@login_required
def elder_service_list(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    """Generate a list for the elder (the services matching recommends for each need, ticked),
    edit the next steps, save a new version; earlier versions are listed."""
    from yiyang.directory import servicelists
    from yiyang.directory.models import ServiceList
    from yiyang.elders import access as elder_access

    elder = elder_access.access_elder(request.user, elder_id)
    if not has_capability(request.user, access.SERVICE_LIST):
        return forbidden(request, ForbiddenError())
    draft = servicelists.service_list_draft(actor=request.user, elder=elder)
    errors = []
    if request.method == "POST":
        chosen = set(request.POST.getlist("service"))
        steps = [line.strip() for line in request.POST.get("next_steps", "").splitlines() if line.strip()]
        note = request.POST.get("note", "").strip()
        if len(note) > 1000 or any(len(s) > 200 for s in steps) or len(steps) > 20:
            errors.append(gettext("说明最长1000字；后续步骤最多20行，每行最长200字"))
        else:
            content = draft | {"services": [s for i, s in enumerate(draft["services"]) if str(i) in chosen],
                               "next_steps": steps}
            sl = servicelists.service_list_save(actor=request.user, elder=elder, content=content, note=note)
            messages.success(request, gettext("已保存第 %(v)s 版服务清单") % {"v": sl.version})
            return redirect("directory:list_print", list_id=sl.pk)
    versions = ServiceList.objects.filter(elder_id=elder.pk).select_related("created_by")[:20]
    return render(request, "directory/service_list_form.html", {
        "elder": elder, "draft": draft, "steps": "\n".join(draft["next_steps"]), "versions": versions,
        "errors": errors}, status=400 if errors else 200)


@login_required
def list_batches(request: HttpRequest) -> HttpResponse:
    """Service lists for every active elder of a street or community at once, in the background;
    the batches with their progress (the table polls itself while one is running)."""
    from yiyang.core.access import jurisdiction_prefix
    from yiyang.core.exceptions import ApplicationError, NotFoundError
    from yiyang.directory import servicelists

    try:
        batches = access.batches_for(request.user)
    except ForbiddenError as exc:
        return forbidden(request, exc)
    prefix = jurisdiction_prefix(request.user) or ""
    own = Region.objects.filter(pk__startswith=prefix).order_by("code").first() if prefix else None
    choices = ([own] if own else []) + list(Region.objects.filter(parent=own).order_by("code")) if own else []
    error = ""
    if request.method == "POST":
        try:
            region = access.access_batch_region(request.user, request.POST.get("region", ""))
            servicelists.service_list_batch_start(actor=request.user, region_code=region.code)
            messages.success(request, gettext("已开始为%(r)s的老人生成服务清单，完成后可在下表查看") % {"r": region.name})
            return redirect("directory:list_batches")
        except NotFoundError:
            error = gettext("请选择辖区内的区域")
        except ApplicationError as exc:
            error = exc.message
    rows = list(batches[:20])
    names = dict(Region.objects.filter(pk__in={b.region_code for b in rows}).values_list("code", "name"))
    for b in rows:
        b.region_name = names.get(b.region_code, b.region_code)
    running = any(b.status in ("queued", "running") for b in rows)
    template = "directory/_batches.html" if request.headers.get("HX-Request") else "directory/batches.html"
    return render(request, template, {"rows": rows, "choices": choices, "running": running, "error": error},
                  status=400 if error else 200)


def _print(request: HttpRequest, sl: Any, *, shared: bool, link: str = "") -> HttpResponse:
    from yiyang.directory import servicelists

    elder = sl.elder
    return render(request, "directory/service_list_print.html", {
        "sl": sl, "c": sl.content, "shared": shared, "link": link,
        "name": servicelists.masked_name(elder.name) if shared else elder.name,
        "community": f"{elder.region.parent.name if elder.region.parent else ''} {elder.region.name}".strip(),
    })


@login_required
def list_print(request: HttpRequest, list_id: uuid.UUID) -> HttpResponse:
    sl = access.access_service_list(request.user, list_id)
    return _print(request, sl, shared=False)


@login_required
@require_POST
def list_share(request: HttpRequest, list_id: uuid.UUID) -> HttpResponse:
    from yiyang.directory import servicelists

    sl = access.access_service_list(request.user, list_id)
    token = servicelists.service_list_share(actor=request.user, service_list=sl)
    link = request.build_absolute_uri(reverse("directory:shared", args=[token]))
    return _print(request, sl, shared=False, link=link)


def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The family's link: no login; the list with the elder's name masked; gone when expired."""
    from yiyang.directory import servicelists

    sl = servicelists.service_list_by_token(token)
    if sl is None:
        raise Http404
    return _print(request, sl, shared=True)


@login_required
@stale_reads_view
def coverage_gaps(request: HttpRequest) -> HttpResponse:
    """Per community: which needs of its elders no active service meets within the walking
    circle, and how many elders that leaves; street subtotals; ``?format=xlsx`` exports it."""
    from yiyang.core.access import jurisdiction_prefix
    from yiyang.directory import coverage

    if not has_capability(request.user, access.DIRECTORY_MANAGE):
        return forbidden(request, ForbiddenError())
    prefix = jurisdiction_prefix(request.user)
    if prefix is None:
        return forbidden(request, ForbiddenError())
    gaps, names = coverage.coverage(prefix)
    needs = [code for code in names if any(code in g.with_need for g in gaps)]
    streets = coverage.rollup(gaps, 9)
    rows: list[dict[str, Any]] = []
    last_street = None
    for g in gaps:
        if g.code[:9] != last_street and last_street is not None:
            rows.append(_street_row(last_street, streets[last_street], needs, rows))
        last_street = g.code[:9]
        rows.append({"kind": "community", "street": g.street, "name": g.name,
                     "cells": [(g.uncovered.get(n, 0), g.with_need.get(n, 0)) for n in needs], "unlocated": g.unlocated})
    if last_street is not None:
        rows.append(_street_row(last_street, streets[last_street], needs, rows))
    if len(prefix) < 9:  # a district or a city: each district's total, rolled up from its communities
        district_names = dict(Region.objects.filter(code__in=[d + "000000" for d in coverage.rollup(gaps, 6)])
                              .values_list("code", "name"))
        for code, totals in sorted(coverage.rollup(gaps, 6).items()):
            rows.append({"kind": "district", "street": district_names.get(code + "000000", code),
                         "name": gettext("全区合计"),
                         "cells": [(totals["uncovered"].get(n, 0), totals["with_need"].get(n, 0)) for n in needs],
                         "unlocated": totals["unlocated"]})
    radius = round(coverage.circle_radius_m())
    if request.GET.get("format") == "xlsx":
        return _coverage_xlsx(rows, [names[n] for n in needs], radius)
    return render(request, "directory/coverage.html", {"rows": rows, "needs": [names[n] for n in needs],
                                                       "radius": radius,
                                                       "can_batch": has_capability(request.user, access.SERVICE_LIST_BATCH)})


def _street_row(code: str, totals: dict[str, Any], needs: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    street = next((r["street"] for r in reversed(rows) if r["kind"] == "community"), code)
    return {"kind": "street", "street": street, "name": gettext("街道合计"),
            "cells": [(totals["uncovered"].get(n, 0), totals["with_need"].get(n, 0)) for n in needs],
            "unlocated": totals["unlocated"]}


def _coverage_xlsx(rows: list[dict[str, Any]], need_names: list[str], radius: int) -> HttpResponse:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "服务覆盖缺口"
    ws.append([f"15分钟服务圈（直线约{radius}米）内没有相应服务的老人数 / 有该需求的老人数"])
    ws.append(["街道", "社区", *need_names, "未定位"])
    for r in rows:
        ws.append([r["street"], r["name"], *(f"{u}/{w}" if w else "" for u, w in r["cells"]), r["unlocated"]])
    buf = io.BytesIO()
    wb.save(buf)
    resp = HttpResponse(buf.getvalue(),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''coverage.xlsx"
    return resp


@login_required
def institutions_upload(request: HttpRequest) -> HttpResponse:
    """A bureau's .xlsx list of institutions: check, then import (all or nothing)."""
    from yiyang.directory.spreadsheet import COLUMNS, REQUIRED, institutions_import

    if not has_capability(request.user, access.DIRECTORY_MANAGE):
        return forbidden(request, ForbiddenError())
    result = None
    upload = request.FILES.get("file") if request.method == "POST" else None
    if isinstance(upload, UploadedFile):
        if upload.size and upload.size > 20 * 1024 * 1024:
            messages.error(request, gettext("文件超过 20 MB，请拆分后上传"))
        else:
            result = institutions_import(upload.read(), upload.name or "", actor=request.user,
                                         dry_run=request.POST.get("commit") != "1")
    return render(request, "directory/import.html", {"result": result, "columns": COLUMNS, "required": REQUIRED},
                  status=400 if result is not None and result.errors else 200)


@login_required
def institutions_template_download(request: HttpRequest) -> HttpResponse:
    from yiyang.directory.spreadsheet import institutions_template

    if not has_capability(request.user, access.DIRECTORY_MANAGE):
        return forbidden(request, ForbiddenError())
    resp = HttpResponse(institutions_template(),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''institutions-template.xlsx"
    return resp


# -- 转介 --------------------------------------------------------------------------------------------

@login_required
def refer(request: HttpRequest, elder_id: uuid.UUID, service_id: uuid.UUID) -> HttpResponse:
    """Send a referral from the elder's recommendations: the consent first, when none is in force."""
    from yiyang.directory import referrals
    from yiyang.elders import access as elder_access
    from yiyang.elders.models import Consent

    elder = elder_access.access_elder(request.user, elder_id)
    if not has_capability(request.user, access.SERVICE_LIST):
        return forbidden(request, ForbiddenError())
    try:
        service = selectors.service_detail(service_id)
    except Service.DoesNotExist:
        raise Http404 from None
    has_consent = elder.consents.filter(purpose=Consent.Purpose.SHARE_WITH_PROVIDER, withdrawn_at__isnull=True).exists()
    errors: list[str] = []
    if request.method == "POST":
        consent = None if has_consent else {k: request.POST.get(k, "")[:200] for k in ("granted_by", "method", "evidence")}
        try:
            referrals.referral_send(actor=request.user, elder=elder, service=service, need=request.POST.get("need", "")[:40],
                                    note=request.POST.get("note", ""), consent=consent)
        except FieldErrors as exc:
            errors = [m for msgs in exc.errors.values() for m in msgs]
        else:
            messages.success(request, gettext("已转介给“%(s)s”，等待机构答复") % {"s": service.name})
            return redirect(reverse("elders:detail", args=[elder.pk]) + "#recommendations")
    return render(request, "directory/refer.html", {
        "elder": elder, "s": service, "has_consent": has_consent, "errors": errors, "need": request.GET.get("need", ""),
        "methods": Consent.Method.choices}, status=400 if errors else 200)


@login_required
@require_POST
def referral_step(request: HttpRequest, referral_id: uuid.UUID, step: str) -> HttpResponse:
    """A step of a referral: the provider's accept / decline / deliver, the worker's check / cancel."""
    from yiyang.directory import referrals

    note = request.POST.get("note", "")
    try:
        if step in ("accept", "decline", "deliver"):
            r = access.access_provider_referral(request.user, referral_id)
            if step == "deliver":
                referrals.referral_deliver(actor=request.user, referral=r, note=note)
            else:
                referrals.referral_answer(actor=request.user, referral=r, accept=step == "accept", note=note)
            back = reverse("directory:provider_referrals")
        elif step in ("check", "cancel"):
            r = access.access_referral(request.user, referral_id)
            (referrals.referral_check if step == "check" else referrals.referral_cancel)(
                actor=request.user, referral=r, note=note)
            back = reverse("elders:detail", args=[r.elder_id]) + "#recommendations"
            nxt = request.POST.get("next", "")
            if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
                back = nxt  # checked during a visit: back to the visit form
        else:
            raise Http404
    except FieldErrors as exc:
        messages.error(request, "；".join(m for msgs in exc.errors.values() for m in msgs))
        return redirect(request.META.get("HTTP_REFERER") or reverse("core:home"))
    messages.success(request, gettext("已更新转介"))
    return redirect(back)


@login_required
def provider_referrals(request: HttpRequest) -> HttpResponse:
    """The referrals sent to the provider's organisation; the elder's phone and address are
    shown (and logged) only on an open one."""
    from yiyang.directory import referrals

    rows = []
    for r in access.provider_referrals(request.user).order_by("-created_at")[:200]:
        contact = None
        if r.status in (referrals.S.SENT, referrals.S.ACCEPTED):
            contact = referrals.provider_view_elder(actor=request.user, referral=r,
                                                    remote_addr=request.META.get("REMOTE_ADDR", ""))
        rows.append((r, contact))
    return render(request, "directory/provider_referrals.html", {"rows": rows})
