"""The demo's staff accounts: one or more for every role, all with one shared, published password.

``demo_logins()`` needs no database: the README's table of demo logins is checked against it.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from zhili.accounts.roles import Role
from zhili.demo.names import COMMUNITIES, DEPARTMENTS, DISTRICT_NAME, STREET_NAME
from zhili.demo.people import PeopleFactory
from zhili.demo.plan import DISTRICT_CODE, STREET_CODE, community_code

# Public on purpose: the demo is for trying the product. It passes Django's password validators.
DEMO_PASSWORD = "zhili-demo-2026"  # noqa: S105
GRID_WORKERS_PER_COMMUNITY = 2


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    username: str
    scope: str  # where the account works, as people say it
    node_code: str  # the territory node of its membership
    display_name: str
    department_code: str = ""
    password: str = DEMO_PASSWORD
    email: str = ""  # receives e-mail copies of escalations (the console, in the demo)


def _community_codes() -> list[tuple[str, str, str]]:
    """(name, pinyin, code) of every community, codes as the loader gives them."""
    result: list[tuple[str, str, str]] = []
    villages = 0
    for index, (name, slug, kind, _roads, _centre) in enumerate(COMMUNITIES):
        result.append((name, slug, community_code(index, kind, villages)))
        villages += kind == "village"
    return result


def demo_logins() -> list[DemoLogin]:
    staff_names = PeopleFactory(random.Random("zhili-demo:staff"))

    def person_name() -> str:
        gender = staff_names.rng.choice("MF")
        return staff_names.surname() + staff_names.given_name(gender, date(1985, 1, 1))

    communities = _community_codes()
    first_name, _slug, first_code = communities[0]
    logins = [DemoLogin(Role.RESIDENT, "jumin", f"{first_name}第1网格", f"{first_code}001", person_name())]
    for name, slug, code in communities:
        for number in range(1, GRID_WORKERS_PER_COMMUNITY + 1):
            grid_code = f"{code}{number:03d}"
            logins.append(
                DemoLogin(
                    Role.GRID_WORKER, f"wgy_{slug}{number}", f"{name}第{number}网格", grid_code, person_name()
                )
            )
    for name, slug, code in communities:
        logins.append(DemoLogin(Role.COMMUNITY_STAFF, f"sqgz_{slug}", name, code, person_name()))
    logins.append(DemoLogin(Role.DISPATCHER, "paidan", STREET_NAME, STREET_CODE, person_name()))
    for department, department_code, slug in DEPARTMENTS:
        logins.append(
            DemoLogin(
                Role.HANDLER,
                f"chengban_{slug}",
                f"{STREET_NAME}{department}",
                STREET_CODE,
                person_name(),
                department_code=department_code,
            )
        )
    for role, username, email in (
        (Role.SUPERVISOR, "ducha", "ducha@example.gov.cn"),
        (Role.LEADER, "lingdao", ""),
        (Role.PARTY_SECRETARY, "shuji", ""),
    ):
        logins.append(DemoLogin(role, username, STREET_NAME, STREET_CODE, person_name(), email=email))
    # At the top of the territory: only there does an auditor see the events of no node (logins,
    # system jobs) and may verify the whole chain, which the demo shows.
    logins.append(DemoLogin(Role.AUDITOR, "shenji", DISTRICT_NAME, DISTRICT_CODE, person_name()))
    logins.append(DemoLogin(Role.ADMIN, "admin", DISTRICT_NAME, DISTRICT_CODE, person_name()))
    return logins


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def logins_table(logins: list[DemoLogin]) -> str:
    """A plain-text table (role, username, password, scope) aligned for a terminal with CJK fonts."""
    header = [_("Role"), _("Username"), _("Password"), pgettext("demo login", "Scope")]
    rows = [[str(login.role.label), login.username, login.password, login.scope] for login in logins]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
