"""The ``yiyang`` console command: wraps Django's management commands.

    yiyang demo [--elders N] [--seed S] [--reset]
    yiyang serve [--port P]
    yiyang import elders FILE [--dry-run] [--json]
    yiyang <any Django management command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not args or args[0] in ("-h", "--help", "help"):
        print(__doc__)
        if not args:
            return
    if args[:1] == ["import"]:
        if len(args) < 2 or args[1] != "elders":
            print("用法：yiyang import elders FILE [--dry-run] [--json]", file=sys.stderr)
            sys.exit(2)
        args = ["import_elders", *args[2:]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yiyang", *args])


if __name__ == "__main__":
    main()
