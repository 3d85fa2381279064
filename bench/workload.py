"""The generated workload: N migrations, the same SQL on SQLite and PostgreSQL, in each tool's layout.

Migration i creates a table and an index and inserts ten rows; its rollback drops both. Every tool
gets byte-for-byte the same SQL, only laid out as it expects:

  runner   sql/NNNNN_create_tNNNNN.sql + rollbacks/NNNNN_create_tNNNNN.sql
  yoyo     NNNNN_create_tNNNNN.sql + NNNNN_create_tNNNNN.rollback.sql
  dbmate   NNNNN_create_tNNNNN.sql holding `-- migrate:up` and `-- migrate:down` sections
"""
from __future__ import annotations

from pathlib import Path

WIDTH = 5  # room for 99 999 migrations, so file names sort the same way as versions


def stem(i: int) -> str:
    return f"{i:0{WIDTH}d}_create_t{i:0{WIDTH}d}"


def up_sql(i: int) -> str:
    table = f"t{i:0{WIDTH}d}"
    rows = ",\n    ".join(f"({j}, 'row {j} of {table}', {i * 10 + j})" for j in range(1, 11))
    return (f"CREATE TABLE {table} (\n"
            f"    id     integer PRIMARY KEY,\n"
            f"    label  text    NOT NULL,\n"
            f"    amount integer NOT NULL\n"
            f");\n"
            f"CREATE INDEX {table}_label ON {table} (label);\n"
            f"INSERT INTO {table} (id, label, amount) VALUES\n    {rows};\n")


def down_sql(i: int) -> str:
    table = f"t{i:0{WIDTH}d}"
    return f"DROP INDEX {table}_label;\nDROP TABLE {table};\n"


def write_runner(folder: Path, n: int) -> Path:
    (folder / "sql").mkdir(parents=True)
    (folder / "rollbacks").mkdir()
    for i in range(1, n + 1):
        (folder / "sql" / f"{stem(i)}.sql").write_text(up_sql(i), encoding="utf-8")
        (folder / "rollbacks" / f"{stem(i)}.sql").write_text(down_sql(i), encoding="utf-8")
    return folder


def write_yoyo(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        (folder / f"{stem(i)}.sql").write_text(up_sql(i), encoding="utf-8")
        (folder / f"{stem(i)}.rollback.sql").write_text(down_sql(i), encoding="utf-8")
    return folder


def write_dbmate(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        text = f"-- migrate:up\n{up_sql(i)}\n-- migrate:down\n{down_sql(i)}"
        (folder / f"{stem(i)}.sql").write_text(text, encoding="utf-8")
    return folder
