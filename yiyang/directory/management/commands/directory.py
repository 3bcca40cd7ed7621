"""``yiyang directory import FILE [--dry-run] [--json]`` and ``yiyang directory export [FILE]
[--modified-after ISO]``: HSDS 3.1 service objects (a JSON array) in and out.
``yiyang directory lists REGION``: a service list for every active elder of the region, in the
foreground with its progress (the page /resources/lists/batch/ does the same in the background).
``yiyang directory candidates [--check]``: rebuild matching's table (``MatchCandidate``) from the
directory, or only compare it with a rebuild (exit 1 when they differ)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiyang.directory import selectors
from yiyang.directory.hsds import service_to_hsds
from yiyang.directory.services import directory_import


class Command(BaseCommand):
    help = "服务资源目录：导入或导出 HSDS 3.1 service 对象（JSON 数组）"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入（全部正确才写入）")
        imp.add_argument("file", help="HSDS JSON 数组；或 .xlsx/.csv 服务机构名单（模板见 /resources/import/）")
        imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        imp.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        exp = sub.add_parser("export", help="导出")
        exp.add_argument("file", nargs="?", default="-")
        exp.add_argument("--modified-after", default="", help="只导出此时间之后修改过的（ISO 8601）")
        lists = sub.add_parser("lists", help="为区域内全部在册老人生成养老服务清单")
        lists.add_argument("region", help="区划代码（12位），如 440304006000")
        cand = sub.add_parser("candidates", help="重建智能匹配读取的候选表（或只核对）")
        cand.add_argument("--check", action="store_true", help="只核对，不重建；不一致时退出码为 1")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "import":
            self._import(opts)
        elif opts["action"] == "lists":
            self._lists(opts)
        elif opts["action"] == "candidates":
            self._candidates(opts)
        else:
            self._export(opts)

    def _candidates(self, opts: dict[str, Any]) -> None:
        from yiyang.directory.candidates import candidates_check, candidates_refresh
        from yiyang.directory.models import MatchCandidate

        if not opts["check"]:
            candidates_refresh(None)
            self.stdout.write(f"已重建：{MatchCandidate.objects.count():,} 行")
        problems = candidates_check()
        if problems:
            raise CommandError("候选表与服务资源目录不一致：" + "；".join(problems))
        self.stdout.write("候选表与服务资源目录一致")

    def _lists(self, opts: dict[str, Any]) -> None:
        import time

        from yiyang.directory import servicelists
        from yiyang.directory.models import ServiceListBatch
        from yiyang.regions.models import Region

        if not Region.objects.filter(pk=opts["region"]).exists():
            raise CommandError(f"没有这个区划代码：{opts['region']}")
        batch = ServiceListBatch.objects.create(region_code=opts["region"],
                                                total=servicelists.batch_elders(opts["region"]).count())
        started = time.monotonic()
        tty = self.stdout.isatty()

        def progress(b: Any) -> None:
            line = f"{b.done}/{b.total} 位老人，已生成 {b.created} 份清单，用时 {time.monotonic() - started:.0f} 秒"
            if tty:
                bar = "#" * int(30 * b.done / max(1, b.total))
                self.stdout.write(f"\r[{bar:<30}] {line}", ending="")
            else:
                self.stdout.write(line)

        batch = servicelists.service_list_batch_run(batch.pk, progress=progress)
        if tty:
            self.stdout.write("")
        self.stdout.write(f"完成：{batch.done} 位老人，生成 {batch.created} 份清单（其中含推荐服务 {batch.with_services} 份），"
                          f"用时 {time.monotonic() - started:.1f} 秒")

    def _import(self, opts: dict[str, Any]) -> None:
        path = Path(opts["file"])
        if path.suffix.lower() in (".xlsx", ".xlsm", ".csv"):
            from yiyang.directory.spreadsheet import institutions_import

            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise CommandError(f"找不到文件：{path}") from None
            self._report(institutions_import(data, path.name, dry_run=opts["dry_run"]), opts, None)
            return
        try:
            objects = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise CommandError(f"找不到文件：{path}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path.name} 不是 UTF-8 编码的 JSON 文件：{exc}") from None
        self._report(directory_import(objects, dry_run=opts["dry_run"], source="cli"), opts, len(objects))

    def _report(self, result: Any, opts: dict[str, Any], count: int | None) -> None:
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        else:
            for e in result.errors[:200]:
                self.stdout.write(e)
            if result.errors:
                self.stdout.write(f"共 {len(result.errors)} 处问题，未导入任何一条。")
            elif opts["dry_run"]:
                self.stdout.write(f"检查通过：{count if count is not None else '全部'} 条（未写入）。")
            else:
                self.stdout.write(f"已导入：新增 {result.created} 条，更新 {result.updated} 条。")
        if result.errors:
            sys.exit(1)

    def _export(self, opts: dict[str, Any]) -> None:
        after = None
        if opts["modified_after"]:
            try:
                after = dt.datetime.fromisoformat(opts["modified_after"])
            except ValueError:
                raise CommandError("--modified-after 应为 ISO 8601 时间，如 2026-12-01T00:00:00+08:00") from None
        from yiyang.surveys.selectors import need_tag_names

        names = need_tag_names()
        items = [service_to_hsds(s, names) for s in selectors.services_modified_after(after).iterator(chunk_size=500)]
        text = json.dumps(items, ensure_ascii=False, indent=1)
        if opts["file"] == "-":
            self.stdout.write(text)
        else:
            Path(opts["file"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"已导出 {len(items)} 条到 {opts['file']}")
