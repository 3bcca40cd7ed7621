"""Elder pages (htmx, server-rendered). Thin: access_* → selectors/services → template."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from yiyang.core import access, pii
from yiyang.core.events import event_label
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.htmx import client_ip, is_htmx
from yiyang.core.text import LINE_MAX
from yiyang.core.web import forbidden
from yiyang.elders import access as elder_access
from yiyang.elders import selectors, services
from yiyang.elders.forms import (
    ConsentForm,
    ContactForm,
    DeactivateForm,
    ElderCreateForm,
    ElderEditForm,
    ImportForm,
    community_choices,
    initial_from_elder,
)
from yiyang.elders.import_files import import_error_report_xlsx, import_template_xlsx
from yiyang.elders.importing import REQUIRED, SHOWN_COLUMNS, elders_import
from yiyang.elders.models import (
    ECONOMIC_CATEGORY_CODES,
    ECONOMIC_UNKNOWN,
    ELDER_AGE_YEARS,
    Category,
    Elder,
    LivingSituation,
    economic_status_name,
    economic_status_of,
)
from yiyang.elders.registry import elder_sections_html
from yiyang.elders.services import REVEALABLE


@login_required
def elder_list(request: HttpRequest) -> HttpResponse:
    if not access.has_capability(request.user, elder_access.ELDER_VIEW):
        return forbidden(request, ForbiddenError())
    # The search box (a name, an ID number, a phone) is POSTed, never put in the URL: a URL
    # ends up in access logs and browser history. The other filters may come by GET too
    # (links from the home page); a ?q= in a URL is not used.
    g: QueryDict = request.POST if request.method == "POST" else request.GET
    if request.method != "POST" and g.get("q"):
        messages.info(request, gettext("搜索内容不放在网址中：请在搜索框中输入"))
        g = g.copy()
        g.pop("q")
    active = {"1": True, "0": False, "all": None}.get(g.get("active", "1"), True)
    filters = selectors.ElderFilters(
        q=g.get("q", "").strip(), region=g.get("region", ""), category=g.get("category", ""),
        living_situation=g.get("living_situation", ""), active=active,
    )
    try:
        page = selectors.elder_page(request.user, filters, cursor=g.get("cursor") or None,
                                    size=settings.YIYANG["PAGE_SIZE"])
    except FieldErrors:  # a stale or altered cursor: the first page
        page = selectors.elder_page(request.user, filters, cursor=None, size=settings.YIYANG["PAGE_SIZE"])
    rows = [(e, selectors.elder_categories(e)) for e in page.rows]
    context = {
        "page": page, "count": selectors.elder_count_for(request.user, filters), "rows": rows, "filters": g,
        "communities": community_choices(request.user),
        "categories": Category.objects.all(), "living_choices": LivingSituation.choices,
        "can_create": access.has_capability(request.user, elder_access.ELDER_CREATE),
    }
    # The live search swaps #results only (no URL is pushed: it would carry the search).
    partial = (is_htmx(request) and request.headers.get("HX-Target") == "results"
               and not request.headers.get("HX-History-Restore-Request"))
    template = "elders/_list_results.html" if partial else "elders/list.html"
    return render(request, template, context)


@login_required
def elder_detail(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id)
    user = request.user
    categories = selectors.elder_categories(elder)
    economic = economic_status_of(elder.not_in_difficulty, (c for c, _name in categories))
    return render(request, "elders/detail.html", {
        "elder": elder,
        "categories": [(c, n) for c, n in categories if c not in ECONOMIC_CATEGORY_CODES],
        "economic": economic_status_name(economic, dict(categories)), "economic_known": economic != ECONOMIC_UNKNOWN,
        "under_age": elder.age < ELDER_AGE_YEARS, "elder_age_years": ELDER_AGE_YEARS,
        "contacts": elder.contacts.all(),
        "consents": elder.consents.select_related("recorded_by"),
        "recent": _timeline_rows(selectors.elder_timeline(elder)[:5]),
        "can_update": access.has_capability(user, elder_access.ELDER_UPDATE),
        "can_deactivate": access.has_capability(user, elder_access.ELDER_DEACTIVATE),
        "can_reveal": access.has_capability(user, elder_access.ELDER_REVEAL),
        "can_access_log": access.has_capability(user, elder_access.ELDER_ACCESS_LOG),
        "deactivate_form": DeactivateForm(), "contact_form": ContactForm(), "consent_form": ConsentForm(),
        "revealable": REVEALABLE, "reasons": services.REVEAL_REASONS,
        "sections": elder_sections_html(request, elder),
        "suspects": selectors.elder_duplicate_suspects(user, elder) if elder.active else [],
    })


def _timeline_rows(events):
    return [(e, event_label(e.type)) for e in events]


@login_required
def elder_create(request: HttpRequest) -> HttpResponse:
    if not access.has_capability(request.user, elder_access.ELDER_CREATE):
        return forbidden(request, ForbiddenError())
    form = ElderCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.for_service()
        contact = {"name": data.pop("contact_name"), "relation": data.pop("contact_relation"),
                   "phone": data.pop("contact_phone")}
        try:
            elder = services.elder_register(actor=request.user, data=data, contacts=[contact])
        except FieldErrors as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, gettext("已为 %(name)s 建档") % {"name": elder.name})
            suspects = selectors.elder_duplicate_suspects(request.user, elder)
            if suspects:
                messages.warning(request, gettext("发现 %(n)s 位疑似重复的老人，请核实是否同一人") % {"n": len(suspects)})
                return redirect(reverse("elders:detail", args=[elder.pk]) + "#duplicates")
            return redirect("elders:detail", elder_id=elder.pk)
    return render(request, "elders/form.html", {"form": form, "title": gettext("登记老年人")},
                  status=400 if form.errors else 200)


@login_required
def elder_edit(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id)
    if not access.has_capability(request.user, elder_access.ELDER_UPDATE):
        return forbidden(request, ForbiddenError())
    form = ElderEditForm(request.POST or None, user=request.user, elder=elder, initial=initial_from_elder(elder))
    if request.method == "POST" and form.is_valid():
        try:
            services.elder_update(actor=request.user, elder=elder, data=form.changed_data_for_service(),
                                  expected_version=int(request.POST.get("version", elder.version)))
        except FieldErrors as exc:
            form.apply_errors(exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("档案已保存"))
            return redirect("elders:detail", elder_id=elder.pk)
    return render(request, "elders/form.html", {"form": form, "elder": elder, "title": gettext("修改档案：%(name)s") % {"name": elder.name}},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def elder_deactivate(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id)
    form = DeactivateForm(request.POST)
    try:
        access.require_capability(request.user, elder_access.ELDER_DEACTIVATE)
        if not form.is_valid():
            raise FieldErrors({"reason": ["请选择注销原因"]})
        services.elder_deactivate(actor=request.user, elder=elder, reason=form.cleaned_data["reason"],
                                  note=form.cleaned_data["note"])
        messages.success(request, gettext("%(name)s 已注销（档案保留）") % {"name": elder.name})
    except ForbiddenError as exc:
        return forbidden(request, exc)
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("elders:detail", elder_id=elder.pk)


def _error_text(exc: ApplicationError) -> str:
    """After a redirect there is no form to hang field errors on: put them in the message."""
    if isinstance(exc, FieldErrors):
        return "；".join(m for ms in exc.errors.values() for m in ms) or exc.message
    return exc.message


@login_required
@require_POST
def elder_reactivate(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id)
    try:
        access.require_capability(request.user, elder_access.ELDER_DEACTIVATE)
        services.elder_reactivate(actor=request.user, elder=elder, note=request.POST.get("note", ""))
        messages.success(request, gettext("%(name)s 已恢复在册") % {"name": elder.name})
    except ForbiddenError as exc:
        return forbidden(request, exc)
    except FieldErrors as exc:
        messages.error(request, "；".join(m for ms in exc.errors.values() for m in ms))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("elders:detail", elder_id=elder.pk)


@login_required
@require_POST
def elder_reveal(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    """htmx: returns the revealed values as a fragment; the access log row is written."""
    elder = elder_access.access_elder(request.user, elder_id)
    try:
        access.require_capability(request.user, elder_access.ELDER_REVEAL)
        # A tapped usual reason (the submit button's value) wins over the text box.
        purpose = request.POST.get("reason", "").strip() or request.POST.get("purpose", "")
        values = services.elder_reveal(actor=request.user, elder=elder, fields=request.POST.getlist("fields"),
                                       purpose=purpose, remote_addr=client_ip(request))
    except ForbiddenError as exc:
        return forbidden(request, exc)
    except FieldErrors as exc:
        return render(request, "elders/_reveal.html", {"elder": elder, "errors": exc.errors, "revealable": REVEALABLE,
                                                       "reasons": services.REVEAL_REASONS,
                                                       "purpose": request.POST.get("purpose", "")[:LINE_MAX]}, status=422)
    return render(request, "elders/_revealed.html", {"elder": elder, "values": values, "labels": REVEALABLE})


@login_required
def elder_timeline(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id)
    page = Paginator(selectors.elder_timeline(elder), 50).get_page(request.GET.get("page"))
    return render(request, "elders/timeline.html", {"elder": elder, "page": page,
                                                    "rows": _timeline_rows(page.object_list)})


@login_required
def elder_access_log(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id)
    if not access.has_capability(request.user, elder_access.ELDER_ACCESS_LOG):
        return forbidden(request, ForbiddenError())
    page = Paginator(selectors.elder_access_log(elder), 50).get_page(request.GET.get("page"))
    return render(request, "elders/access_log.html", {"elder": elder, "page": page})


@login_required
@require_POST
def contact_add(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_add(actor=request.user, elder=elder, **form.cleaned_data)
            messages.success(request, gettext("已添加紧急联系人"))
        except FieldErrors as exc:
            messages.error(request, "；".join(m for ms in exc.errors.values() for m in ms))
    else:
        messages.error(request, gettext("请填写联系人姓名和电话"))
    return redirect(reverse("elders:detail", args=[elder.pk]) + "#contacts")


@login_required
@require_POST
def contact_remove(request: HttpRequest, elder_id: uuid.UUID, contact_id: int) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    try:
        services.contact_remove(actor=request.user, elder=elder, contact_id=contact_id)
    except NotFoundError:  # not this elder's contact
        raise Http404 from None
    messages.success(request, gettext("已删除紧急联系人"))
    return redirect(reverse("elders:detail", args=[elder.pk]) + "#contacts")


@login_required
@require_POST
def consent_grant(request: HttpRequest, elder_id: uuid.UUID) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    form = ConsentForm(request.POST)
    try:
        if not form.is_valid():
            raise FieldErrors({"purpose": ["请填写授权用途和表示同意的人"]})
        services.consent_grant(actor=request.user, elder=elder, **form.cleaned_data)
        messages.success(request, gettext("已记录授权同意"))
    except ApplicationError as exc:
        detail = "；".join(m for ms in exc.errors.values() for m in ms) if isinstance(exc, FieldErrors) else ""
        messages.error(request, detail or exc.message)
    return redirect(reverse("elders:detail", args=[elder.pk]) + "#consents")


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, elder_id: uuid.UUID, consent_id: int) -> HttpResponse:
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    try:
        services.consent_withdraw(actor=request.user, elder=elder, consent_id=consent_id)
    except NotFoundError:  # not this elder's consent, or already withdrawn
        raise Http404 from None
    messages.success(request, gettext("已撤回授权"))
    return redirect(reverse("elders:detail", args=[elder.pk]) + "#consents")


@login_required
@require_POST
def duplicate_verdict(request: HttpRequest, elder_id: uuid.UUID, other_id: uuid.UUID) -> HttpResponse:
    """A person judges a suspected duplicate: not the same (kept, not asked again) or the same
    (this archive is deactivated as 重复登记)."""
    elder = elder_access.access_elder(request.user, elder_id, elder_access.ELDER_UPDATE)
    other = Elder.objects.filter(pk=other_id).first()
    if other is None:
        raise Http404
    same = request.POST.get("same") == "1"
    try:
        services.duplicate_verdict_record(actor=request.user, elder=elder, other=other, same=same,
                                          note=request.POST.get("note", ""))
    except NotFoundError:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(reverse("elders:detail", args=[elder.pk]) + "#duplicates")
    if same:
        messages.success(request, gettext("已判定为同一人：本档案已注销（重复登记）"))
    else:
        messages.success(request, gettext("已判定不是同一人，不会再提示"))
    return redirect("elders:detail", elder_id=elder.pk)


UPLOAD_CTX = "elders.import_upload"
UPLOAD_MAX_AGE_SECONDS = 24 * 3600


def _upload_dir() -> Path:
    """Uploaded files waiting for confirmation; unconfirmed ones are removed after a day."""
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for stale in path.iterdir():
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    return path


class _UploadLimit(FileUploadHandler):
    """Stops reading an upload once it passes the page's limit, instead of spooling any size
    to disk first; the view then answers with one sentence."""

    def __init__(self, limit: int, request: HttpRequest | None = None):
        super().__init__(request)
        self.limit, self.received, self.exceeded = limit, 0, False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # noqa: N803
        # Decided here from the declared length; the parser only stops at the first chunk.
        self.exceeded = content_length > self.limit + 64 * 1024  # the form's other fields are small

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.exceeded or self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def import_max_bytes() -> int:
    return int(settings.YIYANG["IMPORT_MAX_UPLOAD_MB"]) * 1024 * 1024


@csrf_exempt  # checked by csrf_protect below, after the upload handler is in place
def elder_import(request: HttpRequest) -> HttpResponse:
    limit = _UploadLimit(import_max_bytes(), request)
    request.upload_handlers.insert(0, limit)
    return _elder_import(request, limit)


@csrf_protect
@login_required
def _elder_import(request: HttpRequest, limit: _UploadLimit) -> HttpResponse:
    """Upload → dry-run report → confirm. The file waits under var/imports/ between the
    two steps; the confirm step validates again (all or nothing) before writing."""
    if not access.has_capability(request.user, elder_access.ELDER_IMPORT):
        return forbidden(request, ForbiddenError())
    if request.method == "POST" and (_over(request, limit) or limit.exceeded):
        form = ImportForm(data={})
        form.errors.clear()
        form.add_error("file", gettext("文件超过 %(mb)s MB，请拆分成几个文件上传（或由运维人员在服务器上用命令行导入）")
                       % {"mb": settings.YIYANG["IMPORT_MAX_UPLOAD_MB"]})
        return render(request, "elders/import.html", {"form": form, "columns": SHOWN_COLUMNS, "required": REQUIRED},
                      status=400)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = token = report_token = None
    if request.method == "POST" and request.POST.get("token"):
        token = request.POST["token"]
        staged = _staged(token, request.user)
        if staged is None:
            messages.error(request, gettext("上传的文件已过期，请重新上传"))
            return redirect("elders:import")
        path, file_name, data = staged
        try:
            report = elders_import(actor=request.user, data=data, file_name=file_name)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("elders:import")
        if report.committed:
            path.unlink(missing_ok=True)
            messages.success(request, gettext("导入成功：%(n)s 位老年人已建档") % {"n": report.valid})
            return redirect("elders:import_batch", batch_id=report.batch_id)
        report_token, token = token, None  # the file changed meanwhile (e.g. someone registered one of them)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = Path(upload.name).name
        data = upload.read()
        try:
            report = elders_import(actor=request.user, data=data, file_name=name, dry_run=True)
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            # The waiting file holds ID numbers and phones: encrypted on disk like the database.
            # Kept also when it has errors: the error report (.xlsx) is built from it.
            staged_token = str(uuid.uuid4())
            (_upload_dir() / f"{staged_token}__{request.user.pk}__{name}").write_bytes(
                pii.encrypt_bytes(data, UPLOAD_CTX))
            if report.ok:
                token = staged_token
            else:
                report_token = staged_token
    return render(request, "elders/import.html", {
        "form": form, "report": report, "token": token, "report_token": report_token,
        "columns": SHOWN_COLUMNS, "required": REQUIRED,
        "batches": selectors.import_batches_for(request.user)[:5],
        "max_mb": settings.YIYANG["IMPORT_MAX_UPLOAD_MB"],
    })


def _staged(token: str, user: Any) -> tuple[Path, str, bytes] | None:
    """The upload waiting under ``token`` — only its uploader's: (path, file name, plain bytes)."""
    try:
        uuid.UUID(token)
    except ValueError:
        raise Http404 from None
    matches = list(_upload_dir().glob(f"{token}__{user.pk}__*"))
    if not matches:
        return None
    path = matches[0]
    return path, path.name.split("__", 2)[2], pii.decrypt_bytes(path.read_bytes(), UPLOAD_CTX)


def _xlsx_response(content: bytes, file_name: str) -> HttpResponse:
    resp = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return resp


@login_required
def elder_import_template(request: HttpRequest) -> HttpResponse:
    if not access.has_capability(request.user, elder_access.ELDER_IMPORT):
        return forbidden(request, ForbiddenError())
    first = next(iter(community_choices(request.user)), None)
    name = first[1].split(" ")[-1] if first else "梅京社区"
    return _xlsx_response(import_template_xlsx(community_name=name), "老年人导入模板.xlsx")


@login_required
def elder_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    """The uploaded file with an added error column, to correct in Excel and upload again."""
    if not access.has_capability(request.user, elder_access.ELDER_IMPORT):
        return forbidden(request, ForbiddenError())
    staged = _staged(token, request.user)
    if staged is None:
        raise Http404
    _path, file_name, data = staged
    try:
        content, _count = import_error_report_xlsx(actor=request.user, data=data, file_name=file_name)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("elders:import")
    return _xlsx_response(content, f"{Path(file_name).stem}-错误报告.xlsx")


@login_required
def import_batch_list(request: HttpRequest) -> HttpResponse:
    if not access.has_capability(request.user, elder_access.ELDER_IMPORT):
        return forbidden(request, ForbiddenError())
    page = Paginator(selectors.import_batches_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "elders/import_batches.html", {"page": page})


@login_required
def import_batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    if not access.has_capability(request.user, elder_access.ELDER_IMPORT):
        return forbidden(request, ForbiddenError())
    batch = selectors.import_batches_for(request.user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    filters = selectors.ElderFilters(batch=batch.pk, active=None)
    try:
        page = selectors.elder_page(request.user, filters, cursor=request.GET.get("cursor") or None,
                                    size=settings.YIYANG["PAGE_SIZE"])
    except FieldErrors:
        page = selectors.elder_page(request.user, filters, cursor=None, size=settings.YIYANG["PAGE_SIZE"])
    rows = [(e, selectors.elder_categories(e)) for e in page.rows]
    shown = selectors.elder_list_for(request.user, filters).count()
    return render(request, "elders/import_batch.html", {"batch": batch, "page": page, "rows": rows,
                                                        "shown": shown, "count": shown,
                                                        "suspects": selectors.batch_suspects(request.user, batch)})


def _over(request: HttpRequest, limit: _UploadLimit) -> bool:
    upload = request.FILES.get("file")  # reading FILES runs the upload handlers
    return upload is not None and (upload.size or 0) > limit.limit
