"""Entitlement pages (htmx, server-rendered). Thin: access_* → selectors/services → template."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiyang.core import access
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.htmx import is_htmx
from yiyang.elders import access as elder_access
from yiyang.entitlements import engine, selectors, services
from yiyang.entitlements.models import Benefit, EntitlementChange, EntitlementRecompute
from yiyang.entitlements.sections import item_context

PAGE_SIZE = 30




@login_required
@require_POST
def entitlement_explained(request: HttpRequest, elder_id: uuid.UUID, benefit: str) -> HttpResponse:
    """"标记为已告知" (the elder was told of a benefit): an event on the timeline; htmx gets the item back showing it was done."""
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    try:
        services.entitlement_explain(actor=request.user, elder=elder, benefit_code=benefit,
                                     note=request.POST.get("note", ""))
    except NotFoundError:
        raise Http404 from None
    except FieldErrors as exc:  # a note over its maximum: say so, plainly
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    if is_htmx(request):
        items = {i["benefit"]: i for i in selectors.elder_entitlements(elder)}
        if benefit not in items:
            raise Http404
        return render(request, "entitlements/_item.html",
                      item_context(elder, request.user, items[benefit], selectors.explained(elder), just_explained=True))
    name = Benefit.objects.filter(code=benefit).values_list("name", flat=True).first() or benefit
    messages.success(request, gettext("已标记为已告知：%(elder)s，%(benefit)s") % {"elder": elder.name, "benefit": name})
    return redirect(reverse("elders:detail", args=[elder.pk]) + "#entitlements")


def _change_filters(request: HttpRequest) -> tuple[selectors.ChangeFilters, dict[str, str]]:
    g = request.GET
    show = g.get("show", "newly")
    ack = g.get("ack", "open")
    f = selectors.ChangeFilters(
        newly_entitled=show != "all",
        acknowledged={"open": False, "done": True}.get(ack),
        benefit=g.get("benefit", ""),
        region=g.get("region", ""),
    )
    return f, {"show": show, "ack": ack, "benefit": f.benefit, "region": f.region}


@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    """谁新近可享受: the elders of the caller's jurisdiction whose status changed."""
    if not access.has_capability(request.user, elder_access.ELDER_VIEW):
        return render(request, "core/forbidden.html", {"message": ForbiddenError().message}, status=403)
    filters, chosen = _change_filters(request)
    page = Paginator(selectors.entitlement_changes_for(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "entitlements/changes.html", {
        "page": page, "chosen": chosen, "querystring": query.urlencode(),
        "benefits": Benefit.objects.filter(active=True).order_by("sort_order"),
        "can_acknowledge": access.has_capability(request.user, elder_access.ELDER_UPDATE),
    })


@login_required
@require_POST
def change_acknowledge(request: HttpRequest, change_id: int) -> HttpResponse:
    try:
        change = selectors.access_change(request.user, change_id)
        access.require_capability(request.user, elder_access.ELDER_UPDATE)
        services.entitlement_change_acknowledge(actor=request.user, change=change)
    except NotFoundError:
        raise Http404 from None
    except ForbiddenError as exc:
        raise PermissionDenied(exc.message) from None
    except ApplicationError as exc:
        if not is_htmx(request):
            messages.error(request, exc.message)
    change = EntitlementChange.objects.select_related(
        "elder", "elder__region", "elder__region__parent", "benefit", "acknowledged_by").get(pk=change_id)
    if is_htmx(request):
        return render(request, "entitlements/_change.html", {"c": change, "can_acknowledge": True})
    messages.success(request, gettext("已标记为已告知：%(elder)s，%(benefit)s")
                     % {"elder": change.elder.name, "benefit": change.benefit.name})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/entitlements/") else reverse("entitlements:changes"))


@login_required
def benefit_list(request: HttpRequest) -> HttpResponse:
    """政策清单: every active benefit, who qualifies in plain words, how to apply."""
    if not access.has_capability(request.user, elder_access.ELDER_VIEW):
        return render(request, "core/forbidden.html", {"message": ForbiddenError().message}, status=403)
    rs = selectors.rule_set()
    rows = [(b, [(r, engine.describe(r.conditions, rs.vocab)) for r in rs.rules[b.code]]) for b in rs.benefits]
    kinds = [(label, [(b, rules) for b, rules in rows if b.kind == value]) for value, label in Benefit.Kind.choices]
    return render(request, "entitlements/benefits.html", {"kinds": [k for k in kinds if k[1]]})


@staff_member_required
def recompute_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress of one background recompute (a fragment the rule's admin page polls). Counts
    only, no names: any staff member who may see the rules may see it."""
    if not request.user.has_perm("entitlements.view_benefitrule"):
        raise PermissionDenied
    run = EntitlementRecompute.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return render(request, "entitlements/_recompute.html", {"run": run})
