"""The ``yiyang`` console command: wraps Django's management commands.

    yiyang demo [--elders N] [--seed S] [--reset]
    yiyang serve [--port P] [--no-worker]      (web server and one background worker)
    yiyang worker [--batch]                    (background tasks and periodic jobs)
    yiyang import elders FILE [--dry-run] [--json]
    yiyang import mzt039 FILE [--dry-run] [--json]     (old MZ/T 039—2013 assessment results)
    yiyang assessment score < assessment.json
    yiyang directory import FILE [--dry-run] [--json]    (HSDS 3.1 services: the resource directory)
    yiyang directory export [FILE] [--modified-after ISO]
    yiyang verify-ledger [--all] [--json]    (the time bank's hash chain and invariants)
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
        commands = {"elders": "import_elders", "mzt039": "import_mzt039"}
        if len(args) < 2 or args[1] not in commands:
            print("用法：yiyang import elders|mzt039 FILE [--dry-run] [--json]", file=sys.stderr)
            sys.exit(2)
        args = [commands[args[1]], *args[2:]]
    if args[:1] == ["verify-ledger"]:
        args = ["verify_ledger", *args[1:]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yiyang", *args])


if __name__ == "__main__":
    main()
