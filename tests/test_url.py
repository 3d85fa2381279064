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


# -- URLs that libpq and asyncpg would read differently, or that would show a password ----------

@pytest.mark.parametrize("url, hidden", [
    ("postgresql://pwuser:p@ss:w%40rd@host/db", ["p@ss", "ss:w", "w%40rd", "w@rd"]),  # an unencoded '@'
    ("postgresql://u:s3cr/et@host/db", ["s3cr", "et@"]),  # an unencoded '/' puts the rest in the path
    ("postgresql://u:s3cr?et@host/db", ["s3cr", "et@"]),  # an unencoded '?'
    ("postgresql://u:s3cr#et@host/db", ["s3cr", "et@"]),  # an unencoded '#'
    ("postgresql://u:pw@[::1/db", ["pw"]),  # an unmatched bracket (urllib: ValueError)
    ("postgresql://h?password=s3cr@et", ["s3cr", "et"]),  # libpq would take "h?password=s3cr" as a user
])
def test_a_url_whose_password_cannot_be_told_apart_is_refused_without_showing_it(url, hidden):
    with pytest.raises(ConfigError) as caught:
        parse(url)
    assert not [part for part in hidden if part in caught.value.message], caught.value.message
    assert "percent-encode" in caught.value.message or "not a valid URL" in caught.value.message


def test_the_refusal_still_names_the_host_and_database_when_it_can():
    with pytest.raises(ConfigError) as caught:
        parse("postgresql://pwuser:p@ss:w%40rd@host/db")
    assert caught.value.message.startswith("database URL postgresql://***@host/db: ")


@pytest.mark.parametrize("url", ["postgresql://pwuser:p@ss:w%40rd@host/db", "postgresql://u:pw@[::1/db"])
def test_the_command_line_refuses_such_a_url_with_exit_2_and_one_error_line(url):
    from conftest import run_cli

    result = run_cli("status", "--url", url)
    assert result.returncode == 2
    assert result.stderr.startswith("error: database URL postgresql://***@")
    assert "Traceback" not in result.stderr and "ss:w" not in result.stderr + result.stdout
    assert ":pw@" not in result.stderr + result.stdout


def test_a_database_named_both_in_the_path_and_as_a_parameter_is_refused():
    # libpq takes ?dbname=, asyncpg the path: the two drivers would reach different databases
    with pytest.raises(ConfigError, match="the dbname is given twice"):
        parse("postgresql://u@h/app?dbname=other")
    assert parse("postgresql://u@h/app?dbname=app").database_name == "app"
    assert parse("postgresql://u@h?dbname=other").database_name == "other"


def test_the_database_defaults_to_the_user_as_in_libpq(monkeypatch):
    monkeypatch.delenv("PGDATABASE", raising=False)
    assert parse("postgresql://app@h").database_name == "app"
    assert parse("postgresql://app@h/").target == "postgresql://app@h/app"  # asyncpg reads "/" as ""


def test_one_database_has_one_identity_whatever_the_spelling():
    spellings = ["postgres://app@DB.example/shop", "postgresql+psycopg://app@db.example:5432/shop",
                 "postgresql://db.example/?dbname=shop&user=x&sslmode=require"]
    same = {parse(u).identity for u in spellings}
    assert same == {("postgres", ("db.example",), ("5432",), "shop")}
    assert parse("postgresql://localhost/a").identity == parse("postgresql:///a?host=/run/postgresql").identity


def test_with_database_replaces_the_path_and_any_dbname_parameter():
    url = parse("postgresql+psycopg://u:pw@h:5433/?dbname=app&sslmode=require")
    other = url.with_database("runner_scratch_1")
    assert (other.driver, other.password, other.database_name) == ("psycopg", "pw", "runner_scratch_1")
    assert other.display == "postgresql+psycopg://u:***@h:5433/runner_scratch_1?sslmode=require"


def test_a_host_given_as_a_parameter_decides_whether_the_database_is_local():
    assert parse("postgresql:///db").is_local
    assert parse("postgresql:///db?host=/var/run/postgresql").is_local
    assert not parse("postgresql:///db?host=prod.example.com").is_local
    assert not parse("postgresql://localhost,prod.example.com/db").is_local


def test_pghost_and_pgport_are_lists_as_libpq_reads_them(monkeypatch):
    monkeypatch.setenv("PGHOST", "localhost,/var/run/postgresql")
    monkeypatch.delenv("PGPORT", raising=False)
    assert parse("postgresql:///db").is_local
    monkeypatch.setenv("PGHOST", "localhost,prod.example.com")
    assert not parse("postgresql:///db").is_local
    monkeypatch.setenv("PGPORT", "5432,5433")
    assert parse("postgresql:///db").identity == parse("postgresql://localhost:5432,prod.example.com:5433/db").identity


def test_every_password_parameter_is_hidden_and_repr_shows_none():
    url = parse("postgresql://u:one@h/db?sslpassword=two&sslmode=require")
    assert url.display == "postgresql://u:***@h/db?sslpassword=***&sslmode=require"
    assert "one" not in repr(url) and "two" not in repr(url)


def test_redact_hides_a_whole_password_written_with_an_unencoded_at_sign():
    assert redact("could not connect to postgresql://pwuser:p@ss:w%40rd@host/db") == \
        "could not connect to postgresql://pwuser:***@host/db"


@pytest.mark.parametrize("url", ["postgresql://h/db?application_name=a+b", "postgresql://h/db?ssl=true",
                                 "postgresql://h/db?database=x", "postgresql://h:5432x/db", "postgresql://h/d%zzb",
                                 "postgresql://h/db?sslmode=require&sslmode=disable", "postgresql:///db?host=::1",
                                 "postgresql://h/db b", "postgresql:h/db", "postgresql://h/\udcff"])
def test_urls_the_two_drivers_would_read_differently_are_configuration_errors(url):
    with pytest.raises(ConfigError):
        parse(url)


@pytest.mark.parametrize("url", ["sqlite:a%00b.db", "file:x%00.db", "sqlite:////tmp/a%00"])
def test_a_nul_written_as_percent_00_in_a_sqlite_file_name_is_refused(url):
    with pytest.raises(ConfigError, match="%00"):
        parse(url)
