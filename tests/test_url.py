"""Database URLs: every form of the contract, and passwords never shown."""
import pytest

from migrator.errors import ConfigError
from migrator.url import parse, redact


@pytest.mark.parametrize("url, path", [
    ("file:./dev.db", "./dev.db"),
    ("file:dev.db", "dev.db"),
    ("sqlite:data/app.db", "data/app.db"),
    ("sqlite:///rel/path.db", "rel/path.db"),
    ("sqlite:////abs/path.db", "/abs/path.db"),
])
def test_sqlite_forms_name_a_file(url, path):
    parsed = parse(url)
    assert (parsed.dialect, parsed.driver, parsed.target) == ("sqlite", "sqlite", path)


@pytest.mark.parametrize("url, driver", [
    ("postgresql://u:p@h:5432/db", "asyncpg"),
    ("postgres://u:p@h/db", "asyncpg"),
    ("postgresql+asyncpg://u:p@h/db", "asyncpg"),
    ("postgresql+psycopg://u:p@h/db", "psycopg"),
])
def test_postgres_forms_choose_the_driver(url, driver):
    parsed = parse(url)
    assert parsed.dialect == "postgres" and parsed.driver == driver
    assert parsed.target.startswith("postgresql://")


def test_query_parameters_such_as_sslmode_reach_the_driver():
    assert parse("postgresql+psycopg://u@h/db?sslmode=require&application_name=x").target == \
        "postgresql://u@h/db?sslmode=require&application_name=x"


def test_display_never_shows_the_password():
    parsed = parse("postgresql://admin:s3cr%40t@db.example.com/prod")
    assert parsed.password == "s3cr@t"
    assert "s3cr" not in parsed.display
    assert parsed.display == "postgresql://admin:***@db.example.com/prod"


def test_redact_hides_the_password_in_any_text():
    assert redact("failed for postgresql://u:hunter2@h/db: hunter2", "hunter2") == \
        "failed for postgresql://u:***@h/db: ***"


def test_a_password_given_as_a_url_parameter_is_hidden_too():
    parsed = parse("postgresql://admin@db.example.com/prod?sslmode=require&password=s3cr%40t&application_name=x")
    assert parsed.password == "s3cr@t"
    assert parsed.display == "postgresql://admin@db.example.com/prod?sslmode=require&password=***&application_name=x"
    assert redact("cannot connect to postgres://h/db?password=hunter2 (refused)") == \
        "cannot connect to postgres://h/db?password=*** (refused)"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "nonsense", "sqlite://x.db", "file:"])
def test_bad_urls_are_configuration_errors(url):
    with pytest.raises(ConfigError):
        parse(url)
