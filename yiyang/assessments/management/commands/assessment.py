"""yiyang assessment score  —  score GB/T 42195—2022 assessments read from standard input.

Input: one object or a list in the exchange format, e.g.
  {"scheme": "GB/T 42195-2022", "items": {"B.1.1": 4, …, "B.4.5": 4}, "coma": false,
   "diagnosed_dementia_or_mental_disorder": false, "risk_events_30d": 0}
Output: for each, {"dimensions", "total", "preliminary_level", "level", "level_name", "rules_applied"}
(an object for an object, a list for a list). Bad input: exit status 2 and an error naming the item.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from yiyang.assessments.scoring import ScoringError, score


class Command(BaseCommand):
    help = "能力评估工具：score（按 GB/T 42195—2022 计分，读标准输入）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["score"])

    def handle(self, *args, action: str, **options):
        raw = sys.stdin.read()
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            self._fail(f"输入不是有效的 JSON：{exc}", None, None)
        docs = data if isinstance(data, list) else [data]
        results = []
        for index, doc in enumerate(docs):
            try:
                results.append(score(doc).as_dict())
            except ScoringError as exc:
                self._fail(str(exc), exc.item, index if isinstance(data, list) else None)
        out = results if isinstance(data, list) else results[0]
        self.stdout.write(json.dumps(out, ensure_ascii=False))

    def _fail(self, message: str, item: str | None, index: int | None) -> None:
        error: dict[str, str | int | None] = {"error": message, "item": item}
        if index is not None:
            error["index"] = index
        sys.stderr.write(json.dumps(error, ensure_ascii=False) + "\n")
        sys.exit(2)
