from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "yiyang.directory"
    label = "directory"
    verbose_name = _("服务资源目录")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from yiyang.core.events import register_event_types
        from yiyang.core.registry import (
            DemoBuilder,
            NavItem,
            PageSection,
            TodoList,
            register_demo,
            register_nav,
            register_todo,
        )
        from yiyang.directory import access, demo, home, referrals, sections
        from yiyang.directory.events import EVENT_TYPES
        from yiyang.elders.registry import register_elder_section, register_visit_section

        register_event_types(EVENT_TYPES)
        register_event_types(referrals.EVENT_TYPES)
        register_nav(NavItem("directory", _("服务资源"), "directory:search", order=60, namespaces=("directory",),
                             exclude_url_names=("mine", "edit", "coverage", "import", "provider_referrals")))
        register_nav(NavItem("directory_mine", _("本机构服务"), "directory:mine", order=61,
                             capability=access.DIRECTORY_PROVIDER, namespaces=("directory",),
                             only_url_names=("mine", "edit")))
        register_nav(NavItem("directory_coverage", _("覆盖缺口"), "directory:coverage", order=62,
                             capability=access.DIRECTORY_MANAGE, namespaces=("directory",),
                             only_url_names=("coverage",)))
        register_nav(NavItem("directory_import", _("导入机构"), "directory:import", order=63,
                             capability=access.DIRECTORY_MANAGE, namespaces=("directory",),
                             only_url_names=("import",)))
        register_nav(NavItem("directory_referrals", _("转介"), "directory:provider_referrals", order=62,
                             capability=access.DIRECTORY_PROVIDER, namespaces=("directory",),
                             only_url_names=("provider_referrals",)))
        register_todo(TodoList("referrals_overdue", _("转介未办结"), order=60, capability=access.SERVICE_LIST,
                               items=home.todo_referrals))
        register_todo(TodoList("directory_stale", _("待确认的服务信息"), order=70, capability=access.DIRECTORY_PROVIDER,
                               items=home.todo_stale))
        register_visit_section(PageSection("referrals", "directory/_visit_section.html", order=10,
                                           context=sections.visit_referrals))
        register_elder_section(PageSection("recommendations", "directory/_elder_section.html", order=35,
                                           context=sections.elder_recommendations))
        register_demo(DemoBuilder("directory", demo.demo_build, after=("regions", "stations", "elders", "surveys")))
