"""The elder page's "住址位置" section and its one action: "家就在这里" on a home visit."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.core import access
from yiyang.core.exceptions import ApplicationError
from yiyang.elders import access as elder_access
from yiyang.elders.location import elder_location_set


def location_section(request: Any, elder: Any) -> dict[str, Any] | None:
    if not elder.active:
        return None
    return {"elder": elder, "can_set": access.has_capability(request.user, elder_access.ELDER_UPDATE)}


@login_required
@require_POST
def elder_location(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    try:
        lat, lon = float(request.POST.get("latitude", "")), float(request.POST.get("longitude", ""))
        elder_location_set(actor=request.user, elder=elder, latitude=lat, longitude=lon, source="phone")
    except ValueError:
        messages.error(request, _("未能取得手机定位，位置没有记录。请允许浏览器定位后再试。"))
    except ApplicationError as exc:
        messages.error(request, _("未能记录位置：%(reason)s") % {"reason": exc.message})
    else:
        messages.success(request, _("已记录住址位置（精确位置加密保存，列表只用约200米的网格）"))
    if request.POST.get("next"):
        return redirect(_safe_next(request))
    return redirect("elders:detail", elder_id=elder.pk)


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next", "")
    return nxt if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}) else "/"
