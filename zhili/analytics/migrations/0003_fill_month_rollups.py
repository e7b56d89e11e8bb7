"""An install that had day rollups before the month tables existed gets its month rows from them.

Without this the cockpit's long periods would read empty month tables until someone ran
``zhili analytics rebuild``. On a new install the day tables are empty and this does nothing. The
SQL is frozen here (the counters as of this migration), not borrowed from the live rollup code.
"""

from __future__ import annotations

from django.db import migrations

COUNTERS = (
    "received", "open", "overdue", "taken", "finished", "signed", "signed_on_time", "resolved",
    "resolved_on_time", "rated", "satisfied", "closed",
)  # fmt: skip

TABLES = (
    ("analytics_nodeday", "analytics_nodemonth", ""),
    ("analytics_nodecategoryday", "analytics_nodecategorymonth", "category_id"),
    ("analytics_nodedepartmentday", "analytics_nodedepartmentmonth", "department_id"),
)


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        month = "date_trunc('month', day)::date"
    else:
        month = "date(day, 'start of month')"
    names = ", ".join(qn(c) for c in COUNTERS)
    sums = ", ".join(f"SUM({qn(c)})" for c in COUNTERS)
    with connection.cursor() as cursor:
        for day_table, month_table, dim in TABLES:
            cursor.execute(f"SELECT 1 FROM {qn(month_table)} LIMIT 1")
            if cursor.fetchone() is not None:  # already built (a rebuild ran)
                continue
            dim_part = f", {qn(dim)}" if dim else ""
            cursor.execute(
                f"INSERT INTO {qn(month_table)} (node_id, day{dim_part}, {names})"
                f" SELECT node_id, {month}{dim_part}, {sums} FROM {qn(day_table)}"
                f" GROUP BY node_id, {month}{dim_part}"
            )


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_month_rollups")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
