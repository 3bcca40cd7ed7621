"""yiyang import mzt039 FILE [--dry-run] [--json] — old MZ/T 039—2013 results, read only.

Same report and exit status as ``yiyang import elders``.
"""

from yiyang.assessments.legacy_import import legacy_assessments_import
from yiyang.elders.management.commands.import_elders import Command as ImportCommand


class Command(ImportCommand):
    help = "导入 MZ/T 039—2013 历史评估结果（只读；全部正确才导入）"

    def run_import(self, *, data: bytes, file_name: str, dry_run: bool):
        return legacy_assessments_import(actor=None, data=data, file_name=file_name, dry_run=dry_run)
