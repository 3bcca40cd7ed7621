"""yiyang import elders FILE [--dry-run] [--json]

Exit status 0 only when the file has no error (and, without --dry-run, was written).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiyang.core.exceptions import ApplicationError
from yiyang.elders.importing import elders_import


class Command(BaseCommand):
    help = "从 Excel（.xlsx）或 CSV 导入老年人档案（全部正确才导入）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出检查结果")

    def run_import(self, *, data: bytes, file_name: str, dry_run: bool):
        return elders_import(actor=None, data=data, file_name=file_name, dry_run=dry_run, source="cli")

    def handle(self, *args, file: str, dry_run: bool, json: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            report = self.run_import(data=path.read_bytes(), file_name=path.name, dry_run=dry_run)
        except ApplicationError as exc:
            if json:
                self.stdout.write(_dumps({"rows": 0, "valid": 0, "errors": [{"row": 0, "column": "",
                                                                              "message": exc.message}]}))
            else:
                self.stderr.write(exc.message)
            sys.exit(1)
        if json:
            self.stdout.write(_dumps(report.as_dict()))
        else:
            for e in report.errors:
                self.stdout.write(str(e))
            if report.error_count > len(report.errors):
                self.stdout.write(f"……另有 {report.error_count - len(report.errors)} 处问题未列出")
            verdict = ("已导入" if report.committed else "检查通过（未写入）") if report.ok else "有错误，未导入任何行"
            self.stdout.write(f"{path.name}：共 {report.rows} 行，无误 {report.valid} 行，问题 {report.error_count} 处 — {verdict}")
        if not report.ok:
            sys.exit(1)


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
