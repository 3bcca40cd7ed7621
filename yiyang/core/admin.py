from typing import Any

from django.contrib import admin

from yiyang.core.models import AccessLog, Event


class ReadOnly(admin.ModelAdmin):
    """Append-only logs: nobody edits or deletes them, not even here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ["occurred_at", "type", "actor", "region_code", "elder_id"]
    list_filter = ["type"]
    search_fields = ["elder_id", "region_code", "subject_id"]
    date_hierarchy = "occurred_at"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnly):
    list_display = ["at", "actor", "action", "elder_id", "fields", "purpose"]
    list_filter = ["action"]
    search_fields = ["elder_id", "purpose"]
    date_hierarchy = "at"


# --------------------------------------------------------------------------- background tasks
# django-tasks-db registers an English, read-only admin for its rows; this one says in
# Chinese what an operator asks: which task, how many attempts, what went wrong, and lets a
# failed task be tried again.

from django.contrib import messages  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.html import format_html  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402
from django_tasks import TaskResultStatus  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from yiyang.core.models import PeriodicJob  # noqa: E402
from yiyang.core.tasks import PERIODIC, periodic_run_now  # noqa: E402

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)

TASK_STATUS_ZH = {"READY": _("等待运行"), "RUNNING": _("运行中"), "SUCCESSFUL": _("成功"), "FAILED": _("失败")}


@admin.register(DBTaskResult)
class TaskResultAdmin(ReadOnly):
    list_display = ["enqueued_at", "task_name", "status_zh", "attempts", "error", "run_after_shown", "finished_at"]
    list_filter = ["status", "task_path"]
    search_fields = ["task_path", "id"]
    ordering = ["-enqueued_at"]
    actions = ["retry_now"]
    fields = ("id", "task_path", "status", "attempts", "enqueued_at", "started_at", "finished_at",
              "run_after_shown", "args_kwargs", "return_value", "exception_class_path", "traceback_shown")
    readonly_fields = fields

    @admin.display(description=_("任务"))
    def task_name(self, obj: DBTaskResult) -> str:
        return obj.task_path.rsplit(".", 1)[-1]

    @admin.display(description=_("状态"), ordering="status")
    def status_zh(self, obj: DBTaskResult) -> Any:
        label: Any = TASK_STATUS_ZH.get(obj.status, obj.status)
        if obj.status == TaskResultStatus.READY and obj.exception_class_path:
            label = _("等待重试")
        return label

    @admin.display(description=_("尝试次数"))
    def attempts(self, obj: DBTaskResult) -> int:
        return len(obj.worker_ids or [])

    @admin.display(description=_("错误"))
    def error(self, obj: DBTaskResult) -> str:
        if not obj.exception_class_path:
            return ""
        last = (obj.traceback or "").strip().splitlines()[-1:] or [obj.exception_class_path]
        return last[0][:160]

    @admin.display(description=_("计划运行时间"))
    def run_after_shown(self, obj: DBTaskResult) -> Any:
        return "—" if obj.run_after is None or obj.run_after.year >= 9999 else obj.run_after

    @admin.display(description=_("错误详情"))
    def traceback_shown(self, obj: DBTaskResult) -> str:
        return format_html("<pre>{}</pre>", obj.traceback) if obj.traceback else "—"

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser  # for the action; every field stays read-only

    @admin.action(description=_("立即重试所选的失败任务"))
    def retry_now(self, request, queryset):
        n = queryset.filter(status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=timezone.now())
        self.message_user(request, _("已将 %(n)s 个失败任务重新排队") % {"n": n}, messages.SUCCESS)


@admin.register(PeriodicJob)
class PeriodicJobAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "schedule", "enabled", "next_run_at", "last_enqueued_at", "declared"]
    list_editable = ["enabled"]
    readonly_fields = ["key", "label", "schedule", "next_run_at", "last_enqueued_at", "last_task_id"]
    actions = ["run_now"]

    def has_add_permission(self, request):
        return False  # jobs are declared by the apps, in code

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("已声明"), boolean=True)
    def declared(self, obj: PeriodicJob) -> bool:
        return obj.key in PERIODIC

    @admin.action(description=_("立即运行一次"))
    def run_now(self, request, queryset):
        keys = [j.key for j in queryset if j.key in PERIODIC]
        for key in keys:
            periodic_run_now(key)
        self.message_user(request, _("已排队：%(jobs)s") % {"jobs": "、".join(keys) or "—"}, messages.SUCCESS)
