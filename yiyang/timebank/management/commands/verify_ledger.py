"""``yiyang verify-ledger``: recompute the time bank's hash chain and every invariant of the
ledger from the rows in the database. Exit 0 when all hold; otherwise exit 1 and name the
first broken entry (and, with ``--all``, every problem found)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiyang.timebank.ledger import ledger_verify


class Command(BaseCommand):
    help = "校验时间银行账本：摘要链、每笔记账借贷平衡、账户不为负、余额缓存等于分录合计"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="列出发现的全部问题")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args: Any, **options: Any) -> None:
        report = ledger_verify()
        if options["json"]:
            self.stdout.write(json.dumps({
                "ok": report.ok, "entries": report.entries, "transactions": report.transactions,
                "accounts": report.accounts,
                "problems": [p.__dict__ for p in report.problems],
            }, ensure_ascii=False))
        elif report.ok:
            self.stdout.write(f"账本完好：{report.accounts} 个账户，{report.transactions} 笔记账，"
                              f"{report.entries} 条分录；摘要链、借贷平衡、余额均校验通过。")
        if report.ok:
            return
        first = report.first
        assert first is not None
        shown = report.problems if options["all"] else [first]
        if not options["json"]:
            for p in shown:
                self.stderr.write(
                    f"分录 {p.entry_id if p.entry_id is not None else '—'}（账户 {p.account_id or '—'}，"
                    f"记账 {p.transaction_id or '—'}）：{p.message}")
        raise CommandError(
            f"账本校验未通过：共 {len(report.problems)} 个问题，第一个出在分录 {first.entry_id}", returncode=1)
