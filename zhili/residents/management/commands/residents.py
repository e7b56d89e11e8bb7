"""``zhili residents …``: the resident registry from the command line.

zhili residents import FILE.xlsx [--user USERNAME] [--json]
    check every row, then import (all or nothing), with a progress bar; without --user the
    whole registry is in scope and the audit rows name "system"
zhili residents template OUT.xlsx
    the import template with its Chinese headers
zhili residents bench-import [--rows 100000] [--json]
    the import benchmark, in a throwaway database (SQLite file or PostgreSQL, as configured)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.residents.importing import create_job, run_job, template_bytes
from zhili.residents.models import ImportJob, ImportStatus
from zhili.residents.policies import Perm, scope

PHASES = {"counted": "检查 check", "validating": "检查 check", "importing": "导入 write"}


class ProgressBar:
    def __init__(self, stream: Any, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.total = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "counted":
            self.total = total
            return
        total = total or self.total
        if not self.enabled or not total:
            return
        fraction = min(1.0, done / total)
        filled = int(30 * fraction)
        self.stream.write(
            f"\r{PHASES.get(phase, phase)} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}"
        )
        self.stream.flush()

    def end(self) -> None:
        if self.enabled:
            self.stream.write("\n")


class Command(BaseCommand):
    help = "Resident registry: import a workbook, write the import template."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="import residents from an .xlsx workbook (all or nothing)")
        imp.add_argument("file", help="the .xlsx workbook")
        imp.add_argument(
            "--user", help="import as this user, within their area (default: system, everywhere)"
        )
        imp.add_argument("--json", action="store_true", help="print the result as JSON")
        imp.add_argument("--errors", help="write the error report to this .xlsx file when refused")
        tpl = sub.add_parser("template", help="write the import template")
        tpl.add_argument("out", help="where to write the .xlsx template")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["subcommand"].replace("-", "_"))(options)

    def _template(self, options: dict[str, Any]) -> None:
        Path(options["out"]).write_bytes(template_bytes())
        self.stdout.write(f"模板已写入 / template written: {options['out']}")

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        actor = None
        paths: list[str] | None = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {options['user']!r}")
            paths = scope(actor, Perm.IMPORT)
            if not paths:
                raise CommandError(f"{options['user']} may not import residents anywhere")
        job = create_job(content=content, filename=path.name, actor=actor, scope_paths=paths)
        bar = ProgressBar(sys.stderr, enabled=not options["json"])
        outcome = run_job(job.pk, actor=actor, progress=bar)
        bar.end()
        job = ImportJob.objects.get(pk=job.pk)
        result = {
            "job": job.pk,
            "status": outcome.status,
            "rows": outcome.total,
            "persons": outcome.persons,
            "households": outcome.households,
            "errors": outcome.errors,
            "seconds": outcome.seconds,
        }
        if outcome.status == ImportStatus.INVALID and options.get("errors"):
            Path(options["errors"]).write_bytes(bytes(job.error_report))
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(job.message)
        if outcome.status != ImportStatus.DONE:
            raise CommandError(
                f"未导入 / nothing imported ({outcome.status}); "
                + (
                    "error report: " + options["errors"]
                    if options.get("errors")
                    else "use --errors FILE for the report"
                ),
                returncode=1,
            )
