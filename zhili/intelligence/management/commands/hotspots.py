"""``zhili hotspots``: hotspot discovery (热点问题挖掘) over exported messages.

    zhili hotspots --csv FILE --text-col 留言主题,留言详情 --time-col 留言时间 --id-col 留言编号 \\
        [--weight-col 点赞数] [--reporter-col 留言用户] --top 5 --json

Prints the hottest groups first: label (place and problem), keywords, size, heat, first and last
time, reporters, support and member ids. Bad input exits with code 2.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.intelligence.hotspots import Message, find_hotspots
from zhili.intelligence.tabular import InputError, read_csv

TIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)


def parse_time(value: str) -> datetime | None:
    value = value.strip()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _number(value: str) -> float | None:
    try:
        return float(value.strip() or 0)
    except ValueError:
        return None


class Command(BaseCommand):
    help = "Find hotspots: groups of messages about one problem at one place, ranked by heat."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True)
        parser.add_argument("--text-col", required=True, help="COL[,COL…]; the first is the title")
        parser.add_argument("--time-col", required=True)
        parser.add_argument("--id-col", required=True)
        parser.add_argument("--weight-col", help="public support per message (likes, +1)")
        parser.add_argument("--reporter-col", help="who sent it: repeats by one reporter count half")
        parser.add_argument("--top", type=int, default=10)
        parser.add_argument("--min-size", type=int, default=2, help="smallest group to report")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            spots = find_hotspots(self._messages(o), top=max(1, o["top"]), min_size=max(2, o["min_size"]))
        except InputError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if o["json"]:
            self.stdout.write(json.dumps([h.as_dict() for h in spots], ensure_ascii=False, indent=2))
            return
        for rank, h in enumerate(spots, start=1):
            self.stdout.write(
                f"{rank:>2}. {h.label}  heat {h.heat:.1f}  {h.size} messages / {h.reporters} reporters  "
                f"{h.first_seen:%Y-%m-%d} … {h.last_seen:%Y-%m-%d}"
            )

    @staticmethod
    def _messages(o: dict[str, Any]) -> list[Message]:
        table = read_csv(o["csv"])
        text_cols = [c.strip() for c in o["text_col"].split(",") if c.strip()]
        wanted = [*text_cols, o["time_col"], o["id_col"]]
        wanted += [c for c in (o["weight_col"], o["reporter_col"]) if c]
        table.require(wanted)
        docs = table.docs(text_cols)
        bad_time, bad_weight, out = [], [], []
        for i, row in enumerate(table.rows):
            when = parse_time(row[o["time_col"]])
            weight = _number(row[o["weight_col"]]) if o["weight_col"] else 0.0
            if when is None:
                bad_time.append(table.lines[i])
            if weight is None:
                bad_weight.append(table.lines[i])
            if when is None or weight is None:
                continue
            out.append(
                Message(
                    id=row[o["id_col"]].strip(),
                    title=docs[i].title,
                    body=docs[i].body,
                    time=when.replace(tzinfo=None),
                    reporter=row[o["reporter_col"]].strip() if o["reporter_col"] else "",
                    weight=weight,
                )
            )
        for bad, col, what in ((bad_time, o["time_col"], "time"), (bad_weight, o["weight_col"], "number")):
            if bad:
                shown = ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else "")
                raise InputError(f"{table.path}: column {col!r} is not a {what} at line(s) {shown}")
        return out
