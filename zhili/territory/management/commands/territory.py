"""Territory as GeoJSON from the command line (see territory.importing for the format).

zhili territory import FILE.geojson [--actor USERNAME] [--json]
zhili territory export [--node CODE] [-o FILE] [--actor USERNAME]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.territory.importing import TerritoryImportError, export_territory, import_territory
from zhili.territory.models import Node


class Command(BaseCommand):
    help = "Import or export the territory tree and its boundaries as GeoJSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="create/update nodes and boundaries from a FeatureCollection")
        imp.add_argument("file", help="GeoJSON FeatureCollection ('-' reads standard input)")
        imp.add_argument("--actor", help="username recorded in the audit log (default: system)")
        imp.add_argument("--json", action="store_true", help="print the result as JSON")
        exp = sub.add_parser("export", help="write the tree with current boundaries as GeoJSON")
        exp.add_argument("--node", help="code of the node whose subtree to export (default: everything)")
        exp.add_argument("--actor", help="username recorded in the audit log (default: system)")
        exp.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options.get("actor"))
        if options["subcommand"] == "import":
            self._import(options, actor)
        else:
            self._export(options, actor)

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        return user

    def _import(self, options: dict[str, Any], actor: Any) -> None:
        source = options["file"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
            data = json.loads(text)
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror or exc}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"{source} is not JSON: {exc}") from None
        try:
            result = import_territory(data, actor=actor, source=Path(source).name)
        except TerritoryImportError as exc:
            lines = "\n".join(f"  - {error}" for error in exc.errors)
            heading = "导入被拒绝，未写入任何数据 / import refused, nothing was written"
            raise CommandError(f"{heading} ({len(exc.errors)}):\n{lines}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        self.stdout.write(
            self.style.SUCCESS(
                "imported {features} features: {nodes_created} nodes created, {nodes_renamed} renamed, "
                "{boundaries_drawn} boundaries drawn, {boundaries_unchanged} unchanged, "
                "{area_boundaries_drawn} street/community boundaries drawn".format(**result.as_dict())
            )
        )

    def _export(self, options: dict[str, Any], actor: Any) -> None:
        root = None
        if options.get("node"):
            root = Node.objects.filter(code=options["node"]).first()
            if root is None:
                raise CommandError(f"no node with code {options['node']!r}")
        data = export_territory(actor=actor, root=root)
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if options.get("output"):
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"wrote {len(data['features'])} features to {options['output']}")
        else:
            self.stdout.write(text)
