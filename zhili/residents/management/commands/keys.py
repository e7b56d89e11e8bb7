"""``zhili keys rotate [--batch 1000] [--json]`` and ``zhili keys status [--json]``.

Rotation: put the new key first in ZHILI_DATA_KEY (keep the old ones after it), pin
ZHILI_INDEX_KEY_ID to the key the blind indexes were made with, restart, then run
``zhili keys rotate``. It can be stopped and started again; when ``zhili keys status`` shows only
the new key id, the old keys can be removed from ZHILI_DATA_KEY.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.residents.keys import DEFAULT_BATCH, index_key_matches, key_status, rotate_keys


class Command(BaseCommand):
    help = "Data keys: re-encrypt stored values with the current key; show which key holds what."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        rotate = sub.add_parser("rotate", help="re-encrypt every value not under the current key")
        rotate.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="rows per transaction")
        rotate.add_argument("--json", action="store_true", help="print the result as JSON")
        status = sub.add_parser("status", help="count stored values per key id")
        status.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "status":
            status = key_status()
            if options["json"]:
                self.stdout.write(json.dumps(status, ensure_ascii=False))
            else:
                for column, counts in status.items():
                    shown = ", ".join(f"{kid}: {n}" for kid, n in sorted(counts.items())) or "—"
                    self.stdout.write(f"{column}: {shown}")
            return
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        if index_key_matches() is False:
            raise CommandError(
                "盲索引与索引密钥不符 / the stored blind indexes were not made with ZHILI_INDEX_KEY_ID: "
                "set ZHILI_INDEX_KEY_ID to the key id the indexes were made with before rotating"
            )

        def progress(label: str, rows: int) -> None:
            if not options["json"]:
                sys.stderr.write(f"\r{label}: +{rows} rows")
                sys.stderr.flush()

        result = rotate_keys(batch=options["batch"], progress=progress)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        else:
            sys.stderr.write("\n")
            self.stdout.write(
                f"已用密钥 {result.key_id} 重新加密 / re-encrypted with key {result.key_id}: "
                f"{result.values} values in {result.rows} rows ({result.batches} batches)"
            )
