"""Print the AssetLender dashboard KPIs (the `kpi_summary` view) of the database the runner uses.

Usage: python scripts/kpis.py [--url=<url>]      (else $DATABASE_URL, else file:./dev.db)

A client of the engine's API: same URL handling, read-only, never creates the database.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from migrator import Migrator, MigratorError  # noqa: E402
from migrator.errors import StatementError  # noqa: E402

LABELS = {
    "total_applications": "applications",
    "approval_rate": "approval rate",
    "funded_volume": "funded volume",
    "delinquency_rate": "delinquency rate",
    "overdue_amount": "overdue amount",
}


async def main(url: str | None) -> int:
    async with Migrator.connect(url, Path(__file__).resolve().parent.parent, read_only=True) as m:
        try:
            rows = await m.db.fetch("SELECT * FROM kpi_summary")
        except StatementError:  # the view does not exist (yet)
            print("error: no kpi_summary view here yet; run `runner.py up` and `runner.py seed` first", file=sys.stderr)
            return 1
    kpis = rows[0]
    for column, label in LABELS.items():
        value = kpis.get(column)
        if value is None:
            text = "-"
        elif column.endswith("_rate"):
            text = f"{float(value):.1%}"
        elif column.endswith(("_volume", "_amount")):
            text = f"${float(value):,.0f}"
        else:
            text = str(value)
        print(f"{label:>17}: {text}")
    return 0


if __name__ == "__main__":
    url = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--url=")), None)
    try:
        sys.exit(asyncio.run(main(url)))
    except MigratorError as exc:
        print(f"error: {exc.lines()[0]}", file=sys.stderr)
        sys.exit(exc.exit_code)
