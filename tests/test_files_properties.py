"""Properties of file names: any name is a migration or a reported problem, never an exception."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from migrator.files import MAX_VERSION, discover, printable, read_name

# Names near the rules: digits (too many, too large), separators, variants, odd characters.
parts = st.one_of(
    st.from_regex(r"[0-9]{1,30}", fullmatch=True),
    st.sampled_from(["_", "-", ".", ".sql", ".sqlite", ".postgres", ".SQL", " ", "\n", "é", "٣",
                     "9223372036854775808"]),
    st.text(max_size=5),
)
names = st.lists(parts, max_size=6).map("".join)


@given(names)
@example("1234567890123456789012345_huge.sql")
@example("9223372036854775807_max.sql")
@example("٣_arabic_digit.sql")
def test_any_name_is_a_version_name_and_dialect_or_a_reason(name):
    read = read_name(name)
    if isinstance(read, str):
        assert read and "\n" not in read
        return
    version, stem, dialect = read
    assert 0 <= version <= MAX_VERSION
    assert name.endswith(f"_{stem}{'.' + dialect if dialect else ''}.sql")
    assert int(name[:name.index("_")]) == version


def file_names():
    """What a file system allows in a name: any bytes but '/' and NUL, up to 255 of them."""
    return st.one_of(
        names.map(lambda n: os.fsencode(n)),
        st.binary(min_size=1, max_size=40),
    ).map(lambda b: b.replace(b"/", b"_").replace(b"\x00", b"_")[:250] + b".sql")


@given(st.lists(file_names(), min_size=1, max_size=4, unique=True))
@example([b"1_a.sql", b"1_a.sqlite.sql", b"1_b.postgres.sql", b"\xff.sql", b"01_a.sql", b"2_x\n.sql"])
def test_any_files_in_sql_are_migrations_or_reported_problems(raw_names):
    with tempfile.TemporaryDirectory() as root:
        for raw in raw_names:
            for folder in (b"sql", b"rollbacks"):
                os.makedirs(os.path.join(os.fsencode(root), folder), exist_ok=True)
                with open(os.path.join(os.fsencode(root), folder, raw), "wb") as f:
                    f.write(b"SELECT 1;\n")
        found = discover(Path(root), "sqlite")
        for problem in found.problems:
            problem.message.encode("utf-8")  # printable as it is, on one line
            assert "\n" not in problem.message
        reported = " ".join(p.message for p in found.problems)
        for raw in raw_names:
            name = os.fsdecode(raw)
            assert isinstance(read_name(name), tuple) or f"/{printable(name)}" in reported
        chosen = {os.path.basename(m.up.path) for m in found.migrations} | {os.path.basename(m.rollback.path) for m in found.migrations}
        assert all(f"/{printable(n)}:" not in reported for n in chosen)  # nothing run is also a problem
