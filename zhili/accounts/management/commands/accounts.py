"""``zhili accounts createadmin --username U --node CODE``: the first administrator of a node.

Used once when a deployment starts (or for a new street): it creates the account and its ADMIN
post in one audited transaction. The password is typed at a prompt or read from a file (e.g. a
container secret); it is never taken on the command line, where ``ps`` and shell history see it.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.accounts.actions import do_bootstrap_admin
from zhili.core.errors import DomainError
from zhili.territory.models import Node


class Command(BaseCommand):
    help = "Account administration: createadmin"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("createadmin", help="create an administrator of a territory node")
        create.add_argument("--username", required=True)
        create.add_argument("--node", required=True, help="code of the territory node, e.g. a street")
        create.add_argument("--display-name", default="", help="the person's name as shown in the UI")
        create.add_argument(
            "--password-file", help="read the password from this file (first line) instead of prompting"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "createadmin":
            self.createadmin(options)

    def _password(self, options: dict[str, Any]) -> str:
        if options.get("password_file"):
            try:
                lines = Path(options["password_file"]).read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise CommandError(f"cannot read the password file: {exc.strerror}") from None
            if not lines or not lines[0]:
                raise CommandError("the password file is empty")
            return lines[0]
        first = getpass.getpass("Password / 密码: ")
        second = getpass.getpass("Password again / 再次输入密码: ")
        if first != second:
            raise CommandError("the two passwords do not match / 两次输入的密码不一致")
        return first

    def createadmin(self, options: dict[str, Any]) -> None:
        try:
            node = Node.objects.get(code=options["node"])
        except Node.DoesNotExist:
            raise CommandError(f"no territory node with code {options['node']!r}") from None
        password = self._password(options)
        try:
            user = do_bootstrap_admin(
                username=options["username"],
                password=password,
                node=node,
                display_name=options["display_name"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(f"created administrator {user.username} of {node.code} ({node.name})")
