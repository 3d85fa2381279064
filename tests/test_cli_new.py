"""`new` creates the next-numbered pair of files."""
from conftest import run_cli


def test_new_creates_the_first_pair_with_four_digits(project):
    result = run_cli("new", "add_users", project=project)
    assert result.returncode == 0
    assert result.stdout.split() == ["sql/0000_add_users.sql", "rollbacks/0000_add_users.sql"]


def test_new_follows_the_existing_width_and_numbering(project):
    project.migration("000007_x", "SELECT 1;", "SELECT 1;")
    result = run_cli("new", "next-one", project=project)
    assert result.returncode == 0
    assert (project.root / "sql/000008_next-one.sql").exists()
    assert (project.root / "rollbacks/000008_next-one.sql").exists()


def test_new_rejects_a_bad_name(project):
    result = run_cli("new", "bad name!", project=project)
    assert result.returncode == 2 and result.stderr.startswith("error:")
    assert list((project.root / "sql").iterdir()) == []


def test_new_rejects_a_name_too_long_for_a_file_name(project):
    result = run_cli("new", "x" * 300, project=project)
    assert (result.returncode, result.stderr) == (
        2, "error: migration name is 300 characters long; at most 200 fit in a file name\n")
    assert list((project.root / "sql").iterdir()) == []
