"""The targets file and the scheduler, without a database: parsing rules and concurrency bounds."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from migrator.errors import ConfigError
from migrator.fleet import Outcome, Target, TargetResult, parse_targets, schedule
from migrator.url import parse


def targets(text: str, environ: dict | None = None, base_dir: Path = Path("/srv/fleet")) -> list[Target]:
    return parse_targets(text, source="targets.txt", base_dir=base_dir, environ=environ or {})


def config_error(text: str, environ: dict | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        targets(text, environ)
    return caught.value.message


def test_comments_blank_lines_and_trailing_comments_are_skipped():
    found = targets("""
# tenants of the EU cluster

acme    file:acme.db      # biggest customer
globex  postgresql://app@db.internal/globex
""")
    assert [(t.name, t.line) for t in found] == [("acme", 4), ("globex", 5)]


def test_relative_sqlite_paths_are_taken_from_the_targets_files_folder():
    found = targets("a file:tenants/a.db\nb sqlite:////var/b.db\n")
    assert found[0].url.target == "/srv/fleet/tenants/a.db"
    assert found[1].url.target == "/var/b.db"


def test_variables_come_from_the_environment_so_passwords_stay_out_of_the_file():
    found = targets("eu postgresql://app:${EU_PASSWORD}@db/eu\n", {"EU_PASSWORD": "s3cret"})
    assert found[0].url.password == "s3cret"
    assert "s3cret" not in found[0].url.display


def test_an_unset_variable_is_an_error_naming_the_line():
    assert config_error("a file:a.db\neu postgresql://app:${EU_PASSWORD}@db/eu\n") == \
        "targets.txt:2: environment variable EU_PASSWORD is not set"


@pytest.mark.parametrize("line, says", [
    ("lonely", "expected `name url`, found 1 field(s)"),
    ("a file:a.db extra", "expected `name url`, found 3 field(s)"),
    ("a mysql://db/a", "unsupported database URL scheme 'mysql'"),
    ("bad/name file:a.db", "target name 'bad/name' may only contain"),
])
def test_a_bad_line_is_an_error_naming_it(line, says):
    message = config_error(f"ok file:ok.db\n\n{line}\n")
    assert message.startswith("targets.txt:3: ")
    assert says in message


def test_two_targets_with_one_name_are_refused():
    assert "target name 'a' is already used on line 1" in config_error("a file:a.db\na file:b.db\n")


@pytest.mark.parametrize("first, second", [
    ("file:a.db", "sqlite:./a.db"),
    ("file:a.db", "sqlite:////srv/fleet/a.db"),
    ("postgresql://app@localhost/shop", "postgresql+psycopg://other:pw@127.0.0.1:5432/shop"),
    ("postgres://app@db:5433/shop?sslmode=require", "postgresql+asyncpg://app@DB:5433/shop"),
    ("postgresql://app@db/app", "postgresql://app@db/"),  # libpq's default database is the user's name
])
def test_two_targets_on_one_database_are_refused(first, second):
    message = config_error(f"one {first}\ntwo {second}\n")
    assert message == "targets.txt:2: target 'two' is the same database as 'one' (line 1); each database may appear once"


def test_different_databases_on_one_server_are_different_targets():
    found = targets("a postgresql://app@db/a\nb postgresql://app@db/b\nc postgresql://app@db:5433/a\n")
    assert len(found) == 3


def test_an_empty_targets_file_is_an_error():
    assert config_error("# nothing yet\n") == "targets.txt: no targets (expected lines of `name url`)"


# -- the scheduler ---------------------------------------------------------------------------------

def results(n: int) -> list[TargetResult]:
    return [TargetResult(Target(f"t{i}", parse(f"file:t{i}.db"), i)) for i in range(n)]


class Recorder:
    """A stand-in job (no database involved) that records how many ran at once and in what order."""

    def __init__(self, fail: set[str] = frozenset()):
        self.running = self.peak = 0
        self.order: list[str] = []
        self.fail = fail

    async def __call__(self, result: TargetResult) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.order.append(result.target.name)
        await asyncio.sleep(0.001)
        self.running -= 1
        result.outcome = Outcome.FAILED if result.target.name in self.fail else Outcome.OK
        result.duration_ms = 1


async def test_no_more_than_parallel_targets_run_at_once_whatever_their_number():
    job = Recorder()
    done = await schedule(results(200), job, parallel=4, canary=0, continue_on_error=False, stop=asyncio.Event())
    assert job.peak == 4
    assert all(r.outcome is Outcome.OK for r in done)


async def test_canaries_run_one_at_a_time_before_the_rest():
    job = Recorder()
    peaks = []
    original = job.__call__

    async def watch(result):
        await original(result)
        peaks.append((result.target.name, job.peak))

    await schedule(results(20), watch, parallel=8, canary=3, continue_on_error=False, stop=asyncio.Event())
    assert job.order[:3] == ["t0", "t1", "t2"]
    assert [peak for name, peak in peaks[:3]] == [1, 1, 1]


async def test_a_failed_canary_stops_everything_even_with_continue_on_error():
    job = Recorder(fail={"t1"})
    done = await schedule(results(10), job, parallel=4, canary=3, continue_on_error=True, stop=asyncio.Event())
    assert job.order == ["t0", "t1"]
    assert [r.outcome for r in done[2:]] == [Outcome.SKIPPED] * 8


async def test_continue_on_error_keeps_starting_targets_after_a_failure():
    job = Recorder(fail={"t2"})
    done = await schedule(results(10), job, parallel=1, canary=0, continue_on_error=True, stop=asyncio.Event())
    assert [r.outcome for r in done].count(Outcome.OK) == 9


async def test_a_set_stop_event_starts_nothing_new():
    stop = asyncio.Event()
    job = Recorder()

    async def stop_after_first(result):
        await job(result)
        stop.set()

    done = await schedule(results(10), stop_after_first, parallel=1, canary=0, continue_on_error=True, stop=stop)
    assert job.order == ["t0"]
    assert all(r.outcome is Outcome.SKIPPED for r in done[1:])


# -- how results are described ----------------------------------------------------------------------

def test_the_table_names_each_target_its_result_version_changes_and_first_error_line():
    from migrator.cli import fleet as fleet_cli
    from migrator.errors import ScriptError
    from migrator.model import StepResult

    ok, failed, skipped = results(3)
    ok.outcome, ok.current, ok.duration_ms = Outcome.OK, 4, 12
    ok.steps = [StepResult("up", v, f"m{v}", 1) for v in (1, 2, 3, 4)] + [StepResult("repeatable", None, "kpis", 1)]
    failed.outcome, failed.current, failed.duration_ms = Outcome.FAILED, 1, 7
    failed.error = ScriptError("sql/0002_loans.sql", 3, "table loans already exists", detail="more")
    assert fleet_cli.table([ok, failed, skipped], "up").split("\n") == [
        "TARGET  RESULT   VERSION  APPLIED                           DURATION  ERROR",
        "t0      ok       0004     0001..0004 (4) + 1 repeatable(s)     12 ms",
        "t1      failed   0001     -                                     7 ms  "
        "sql/0002_loans.sql:3: table loans already exists",
        "t2      skipped  -        -                                        -",
    ]


def test_the_json_document_is_streamed_one_target_at_a_time_and_never_shows_a_password():
    import json

    from migrator.cli import fleet as fleet_cli
    from migrator.errors import ScriptError
    from migrator.model import StepResult

    found = [TargetResult(t) for t in targets('a postgresql://app:${PW}@db/a\nb postgresql://app:${PW}@db/b\n',
                                              {"PW": 'pa"ss'})]
    found[0].outcome, found[0].steps = Outcome.OK, [StepResult("up", 1, "accounts", 3)]
    found[1].outcome, found[1].error = Outcome.FAILED, ScriptError("sql/0002_x.sql", 2, 'role pa"ss is odd')
    clean = lambda text: text.replace('pa"ss', "***")  # noqa: E731

    streamed = "\n".join(fleet_cli.json_chunks(found, "up", 1.5, None, clean))

    assert json.loads(streamed) == fleet_cli._cleaned(fleet_cli.as_json(found, "up", 1.5, None), clean)
    assert 'pa"ss' not in streamed and 'pa\\"ss' not in streamed
