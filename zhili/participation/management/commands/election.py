"""``zhili election …``: check and export election bulletin boards.

zhili election verify BOARD.json [--public-key FILE] [--json]
    recompute every tracker and the tally from the listed ballots and booth counts, compare
    with the signed tally and check both signatures; exit 0 when all holds, 1 naming the
    first thing that does not
zhili election export-board ID -o FILE      write the signed board of a published election
zhili election public-key [--pem]           print the key boards are signed with
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.participation.elections import board as board_module
from zhili.participation.elections import signing


class Command(BaseCommand):
    help = "Election bulletin boards: verify, export, show the signing key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="recompute the tally of a board and check its signatures")
        verify.add_argument("board", help="the board file (JSON)")
        verify.add_argument(
            "--public-key",
            help="file with the expected public key (PEM or base64); without it the key in the board is used",
        )
        verify.add_argument("--json", action="store_true", help="print the result as JSON")
        export = sub.add_parser("export-board", help="write the signed board of a published election")
        export.add_argument("election_id", type=int)
        export.add_argument("-o", "--output", required=True, help="file to write ('-' for standard output)")
        reissue = sub.add_parser(
            "reissue-boards",
            help="issue published boards of format 1 (with birth dates) again in the current format",
        )
        reissue.add_argument("--dry-run", action="store_true", help="list them, change nothing")
        key = sub.add_parser("public-key", help="print the public key that signs boards")
        key.add_argument("--pem", action="store_true", help="PEM instead of base64")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        if command == "verify":
            self.verify(options["board"], options["public_key"], as_json=options["json"])
        elif command == "export-board":
            self.export(options["election_id"], options["output"])
        elif command == "reissue-boards":
            self.reissue(dry_run=options["dry_run"])
        elif command == "public-key":
            self.stdout.write(
                signing.public_key_pem().strip() if options["pem"] else signing.public_key_b64()
            )

    def verify(self, path: str, key_path: str | None, *, as_json: bool) -> None:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=1) from None
        except ValueError as exc:
            raise CommandError(f"{path} is not JSON: {exc}", returncode=1) from None
        key_text = None
        if key_path:
            try:
                key_text = Path(key_path).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"cannot read {key_path}: {exc.strerror}", returncode=1) from None
        result = board_module.verify_document(document, key_text)
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        elif result.ok:
            self.stdout.write(
                f"选举公告板核验通过 / board verified: {result.ballots} online ballots, tally recomputed and "
                f"signatures valid (key {result.details['public_key'][:16]}…)"
            )
            if key_text is None:
                self.stderr.write(
                    "注意 / note: checked against the key printed in the board itself; "
                    "pass --public-key with the key published by the community to rule out a forged board"
                )
        if not result.ok:
            raise CommandError(
                f"核验失败 / verification failed: {result.reason}: {result.message}", returncode=1
            )

    def export(self, election_id: int, output: str) -> None:
        from zhili.participation.elections.models import ElectionBoard

        row = ElectionBoard.objects.filter(election_id=election_id).first()
        if row is None:
            raise CommandError(f"election {election_id} has no published board", returncode=1)
        if output == "-":
            self.stdout.write(row.document)
            return
        Path(output).write_text(row.document, encoding="utf-8")
        self.stdout.write(f"{output}: board of election {election_id}, sha256 {row.sha256}")

    def reissue(self, *, dry_run: bool) -> None:
        from zhili.core.errors import DomainError
        from zhili.participation.elections.actions import do_reissue_board
        from zhili.participation.elections.models import ElectionBoard

        old = [
            row.election_id
            for row in ElectionBoard.objects.order_by("election_id").only("election_id", "document")
            if json.loads(row.document)["board"]["format"] != board_module.FORMAT
        ]
        if not old:
            self.stdout.write("没有需要重新发布的公告板 / no board of an older format")
            return
        failed = 0
        for election_id in old:
            if dry_run:
                self.stdout.write(f"election {election_id}: format 1, would be reissued")
                continue
            try:
                row = do_reissue_board(election_id, actor=None)
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"election {election_id}: not reissued: {exc.message}")
                continue
            if row is not None:
                self.stdout.write(f"election {election_id}: reissued, sha256 {row.sha256}")
        if failed:
            raise CommandError(f"{failed} board(s) not reissued", returncode=1)
