"""`verify` lists every problem and exits 3; `--strict` also fails on pending migrations."""


def test_clean_project_verifies(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    cli("up")
    result = cli("verify")
    assert result.returncode == 0 and result.stdout.startswith("ok:")


def test_verify_lists_every_problem(project, backend, cli):
    for n in (1, 2, 3):
        project.migration(f"000{n}_m{n}", f"CREATE TABLE m{n} (id INTEGER);", f"DROP TABLE m{n};")
    cli("up", "--to", "1")
    cli("up")  # 2 and 3
    project.write("sql/0001_m1.sql", "CREATE TABLE m1 (id INTEGER, x INTEGER);")  # modified
    (project.root / "sql/0002_m2.sql").unlink()  # missing (its rollback is now an orphan)
    project.migration("0000_early", "SELECT 1;")  # out of order, no rollback
    result = cli("verify")
    assert result.returncode == 3
    problems = {line.strip().split(":")[0] for line in result.stderr.splitlines()[1:]
                if not line.startswith("    ")}  # deeper lines: what changed in the modified file
    assert problems == {"modified", "missing", "out-of-order", "missing-rollback", "orphan-rollback"}
    assert result.stderr.startswith("error: verify found 5 problem(s):")


def test_verify_strict_fails_on_pending(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    assert cli("verify").returncode == 0
    strict = cli("verify", "--strict")
    assert strict.returncode == 3 and "pending: 0001_a is not applied yet" in strict.stderr
    cli("up")
    assert cli("verify", "--strict").returncode == 0


def test_verify_does_not_write(project, backend, cli):
    project.migration("0001_a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;")
    cli("verify")
    assert backend.tables() == set()
