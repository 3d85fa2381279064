"""Planning and verification are pure functions over lists: no database here."""
from pathlib import Path

import pytest

from migrator import plan
from migrator.errors import ConfigError, MigratorError
from migrator.model import Applied, Migration, Project, Script, State


def script(sql: str, path: str = "x.sql") -> Script:
    import hashlib
    return Script(Path(path), sql, hashlib.sha256(sql.encode()).hexdigest(), path)


def mig(version: int, name: str = None, sql: str = None, rollback: str | None = "DROP;") -> Migration:
    name = name or f"m{version}"
    up = script(sql or f"CREATE {version};", f"sql/{version:04d}_{name}.sql")
    down = script(rollback, f"rollbacks/{version:04d}_{name}.sql") if rollback is not None else None
    return Migration(version, name, up, down)


def applied(m: Migration, *, checksum: str | None = None, failed=False, stored_rollback="STORED;") -> Applied:
    return Applied(m.version, m.name, checksum or m.up.checksum, stored_rollback, None,
                   "2026-01-01T00:00:00Z", "me", 1, failed)


def test_states_cover_applied_pending_modified_missing_failed():
    a, b, c, d = mig(1), mig(2), mig(3), mig(5)
    gone = mig(4)
    rows = [applied(a), applied(b, checksum="old"), applied(gone), applied(d, failed=True)]
    states = {s.version: s.state for s in plan.statuses([a, b, c, d], rows)}
    assert states == {1: State.APPLIED, 2: State.MODIFIED, 3: State.PENDING, 4: State.MISSING, 5: State.FAILED}


def test_current_version_is_the_newest_applied_even_when_its_file_is_gone():
    assert plan.current_version([applied(mig(1)), applied(mig(9))]) == 9
    assert plan.current_version([]) is None


def test_plan_up_is_pending_in_order_up_to_target():
    ms = [mig(1), mig(2), mig(3)]
    assert [m.version for m in plan.plan_up(ms, [applied(ms[0])])] == [2, 3]
    assert [m.version for m in plan.plan_up(ms, [], to=2)] == [1, 2]


def test_plan_up_to_an_unknown_version_is_a_usage_error():
    with pytest.raises(ConfigError):
        plan.plan_up([mig(1)], [], to=7)


def test_plan_down_is_newest_first_and_prefers_the_file():
    ms = [mig(1), mig(2, rollback=None), mig(3)]
    rows = [applied(m) for m in ms]
    steps = plan.plan_down(ms, rows, count=2)
    assert [(s.version, s.source) for s in steps] == [(3, "rollbacks/0003_m3.sql"), (2, "journal")]
    assert steps[1].sql == "STORED;"


def test_plan_down_to_and_all():
    ms = [mig(1), mig(2), mig(3)]
    rows = [applied(m) for m in ms]
    assert [s.version for s in plan.plan_down(ms, rows, to=1)] == [3, 2]
    assert [s.version for s in plan.plan_down(ms, rows, everything=True)] == [3, 2, 1]
    assert plan.plan_down(ms, [], count=1) == []


def test_plan_down_without_any_rollback_refuses():
    m = mig(1, rollback=None)
    with pytest.raises(MigratorError, match="no rollback"):
        plan.plan_down([m], [applied(m, stored_rollback=None)])


def test_verify_lists_every_problem():
    a, b, c = mig(1), mig(2, rollback=None), mig(3)
    problems = plan.verify(Project([a, b, c], []), [applied(a, checksum="edited"), applied(c)])
    assert sorted(p.kind.value for p in problems) == ["missing-rollback", "modified", "out-of-order"]
    assert {p.version for p in plan.blocking(problems)} == {1, 2}


def test_verify_strict_counts_pending():
    a = mig(1)
    assert plan.verify(Project([a], []), []) == []
    assert [p.kind.value for p in plan.verify(Project([a], []), [], strict=True)] == ["pending"]
