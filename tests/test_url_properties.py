"""Properties of URL parsing: any string is a URL or a ConfigError, an accepted PostgreSQL URL
means what libpq and asyncpg read in it, and no part of a password is ever shown.

Passwords are written in Greek letters (between reserved characters such as '@' and '/'), and
nothing else in the generated URLs is, so "no Greek letter in the message or the display" means
no part of the password got out, wherever the parser thought it ended.
"""
from __future__ import annotations

import re

from asyncpg.connect_utils import _parse_connect_dsn_and_args
from hypothesis import assume, example, given
from hypothesis import strategies as st
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict

from migrator.errors import ConfigError
from migrator.url import DatabaseURL, parse

LIBPQ_KEYWORDS = {d.keyword.decode() for d in pq.Conninfo.get_defaults()}
GREEK = re.compile(r"[α-ω]")


def parsed_or_config_error(url: str) -> DatabaseURL | ConfigError:
    try:
        return parse(url)
    except ConfigError as exc:
        return exc


def encoded(text: str) -> str:
    """Percent-encoded with lowercase hex digits (valid, and no capital letter to confuse a check)."""
    return "".join(ch if ch.isascii() and ch.isalnum() else "".join(f"%{b:02x}" for b in ch.encode()) for ch in text)


# -- generated URLs ------------------------------------------------------------------------------

greek = st.text(st.characters(min_codepoint=ord("α"), max_codepoint=ord("ω")), min_size=1, max_size=4)
reserved = st.sampled_from(list("@:/?#[]%&=+ ") + ["%zz", "%00", "%4"])
secret = st.lists(st.one_of(greek, reserved), min_size=1, max_size=6).map("".join).filter(GREEK.search)
plain = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)


@st.composite
def postgres_urls(draw, messy: bool = True) -> str:
    """PostgreSQL URLs; `messy`: also with unencoded reserved characters and broken parts."""
    def encode_or_not(text):
        value = draw(text)
        return value if messy and draw(st.booleans()) else encoded(value)

    scheme = draw(st.sampled_from(["postgresql", "postgres", "postgresql+psycopg", "postgres+asyncpg"]))
    userinfo = ""
    if draw(st.booleans()):
        userinfo = draw(st.one_of(st.just(""), plain))
        if draw(st.booleans()):
            userinfo += ":" + encode_or_not(secret)
        userinfo += "@"
    hosts = ["", "h", "db.example.com", "127.0.0.1", "[::1]", "%2ftmp", "h1,h2", "h:5433", "h:", "[::1]:5433,h2"]
    host = draw(st.sampled_from(hosts + (["[::1", "h:99999", "h:abc", "[]", "[::1]x"] if messy else [])))
    paths = ["", "/", "/db", "/d%40b", "//x", "/d%c3%a9"]
    path = draw(st.sampled_from(paths + (["/a@b", "/db%zz"] if messy else [])))
    keys = ["sslmode", "application_name", "connect_timeout", "dbname", "user", "password", "host", "port"]
    query = []
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(keys + (["sslpassword", "search_path", "database", "ssl", "pass%77ord"]
                                           if messy else [])))
        values = {"sslmode": ["disable", "prefer", "require"], "port": ["5433", "", "5433,5434", "x"],
                  "host": ["h", "", "%2ftmp", "h1,h2", "::1"]}.get(key, ["x", "db", "", "10", "d%c3%a9"])
        value = encode_or_not(secret) if "password" in key or "%77" in key else draw(
            st.sampled_from(values + (["a+b"] if messy else [])))
        query.append(f"{key}={value}")
    tail = "?" + "&".join(query) if query or draw(st.booleans()) else ""
    if messy and draw(st.integers(0, 9)) == 0:
        tail += draw(st.sampled_from(["#x", "&", "&&", "=x"]))
    return f"{scheme}://{userinfo}{host}{path}{tail}"


# -- properties ----------------------------------------------------------------------------------

@given(st.text())
@example("postgresql://u:pw@[::1/db")
@example("postgresql://pwuser:p@ss:w%40rd@host/db")
@example("postgresql://h/\udcff")  # an environment variable that was not UTF-8
def test_any_string_is_a_url_or_a_configuration_error(text):
    result = parsed_or_config_error(text)
    if isinstance(result, DatabaseURL) and result.dialect == "postgres":
        assert parse(result.display).password in (None, "***")  # the display form holds no password


@given(postgres_urls())
@example("postgresql://pwuser:pα@ss:wβ%40rd@host/db")
@example("postgresql://u:pαw@[::1/db")
@example("postgresql://u:123/αβ@h/db")
@example("postgresql://u:pα@ssβ?x=wγ@rd@h/db")  # an unencoded '@' and '?': libpq's host is "ssβ"
def test_no_part_of_a_password_is_ever_shown(url):
    result = parsed_or_config_error(url)
    shown = result.message if isinstance(result, ConfigError) else result.display + repr(result)
    assert not GREEK.search(shown), shown


def stated(reading: dict) -> dict:
    """The values a reading states: libpq reads "" (and ports "," for two hosts) as "use the default"."""
    return {k: v for k, v in reading.items() if v and not (k == "port" and not v.strip(","))}


@given(st.one_of(postgres_urls(), postgres_urls(messy=False)))
def test_an_accepted_url_means_what_libpq_reads_in_it(url):
    result = parsed_or_config_error(url)
    assume(isinstance(result, DatabaseURL))
    assume(all(key in LIBPQ_KEYWORDS for key, _ in result.parameters))  # libpq refuses others
    ours = {"user": result.user, "password": result.password, "host": ",".join(result.hosts),
            "port": ",".join(result.ports), "dbname": result.dbname, **dict(result.parameters)}
    ours = stated(ours)
    assert stated(conninfo_to_dict("postgresql" + url[url.index("://"):])) == ours  # what the user wrote
    handed_over = stated(conninfo_to_dict(result.target))  # what the drivers get: the same, or the
    assert handed_over.pop("dbname", None) in (result.dbname, result.database_name)  # default made explicit
    assert handed_over == {k: v for k, v in ours.items() if k != "dbname"}


@given(st.one_of(postgres_urls(), postgres_urls(messy=False)))
def test_an_accepted_url_means_what_asyncpg_reads_in_it(url):
    result = parsed_or_config_error(url)
    assume(isinstance(result, DatabaseURL))
    _, params = _parse_connect_dsn_and_args(
        dsn=result.target, host=None, port=None, user=None, password=None, passfile=None, database=None,
        ssl=None, service=None, servicefile=None, direct_tls=None, server_settings=None,
        target_session_attrs=None, krbsrvname=None, gsslib=None)
    assert (params.user, params.database) == (result.user_name, result.database_name)
    if result.password:
        assert params.password == result.password


@given(postgres_urls(messy=False), st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1))
def test_with_database_changes_the_database_and_nothing_else(url, name):
    result = parsed_or_config_error(url)
    assume(isinstance(result, DatabaseURL))
    moved = result.with_database(name)
    assert moved.database_name == name and moved.dbname == name
    assert (moved.driver, moved.user, moved.password, moved.hosts, moved.ports) == \
        (result.driver, result.user, result.password, result.hosts, result.ports)
    assert [p for p in moved.parameters] == [p for p in result.parameters]
    if all(key in LIBPQ_KEYWORDS for key, _ in result.parameters):
        assert conninfo_to_dict(moved.target)["dbname"] == name


@given(postgres_urls(messy=False))
def test_pg_tools_get_the_same_database_with_the_password_only_in_their_environment(url):
    result = parsed_or_config_error(url)
    assume(isinstance(result, DatabaseURL))
    dsn, env = result.libpq_dsn_and_environment({})
    assert not GREEK.search(dsn)
    assert env.get("PGPASSWORD") == result.password
    assert stated(conninfo_to_dict(dsn)) == stated({
        "user": result.user, "host": ",".join(result.hosts), "port": ",".join(result.ports), "dbname": result.dbname,
        **{k: v for k, v in result.parameters if k in LIBPQ_KEYWORDS and k != "sslpassword"}})
