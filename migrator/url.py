"""Database URLs: which dialect and driver, what to connect to, and how to print it safely.

A PostgreSQL URL means what libpq reads in it. The standard library's `urllib.parse` takes it
apart (importing psycopg for `psycopg.conninfo` would add ~150 ms to every start, asyncpg
users' too); tests/test_url_properties.py checks every URL accepted here against libpq's own
reading (`psycopg.conninfo.conninfo_to_dict`) and asyncpg's. A URL that libpq and asyncpg read
differently is refused with a ConfigError, so both drivers reach the same database as the same
user: mostly an unencoded `@ : / ? #` in a password, which would otherwise put part of the
password where it is printed (`postgresql://u:p@ss@host/db` is user u, password p, host ss).
"""

import os
import re
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from .errors import ConfigError

DEFAULT_URL = "file:./dev.db"
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})  # and any socket directory

_PG_SCHEMES = {
    "postgresql": "asyncpg",
    "postgres": "asyncpg",
    "postgresql+asyncpg": "asyncpg",
    "postgres+asyncpg": "asyncpg",
    "postgresql+psycopg": "psycopg",
    "postgres+psycopg": "psycopg",
}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
_ENCODE = ("percent-encode @ : / ? # [ ] and spaces in a user name, password or database name "
           "(%40 %3A %2F %3F %23 %5B %5D %20)")


class DatabaseURL(NamedTuple):
    dialect: str  # "sqlite" | "postgres"
    driver: str  # "sqlite" | "asyncpg" | "psycopg"
    target: str  # SQLite: a file path; PostgreSQL: the URL as postgresql://…
    password: str | None
    raw: str
    # PostgreSQL, as libpq reads the URL; empty when the URL does not say (libpq's defaults apply)
    user: str | None = None
    hosts: tuple[str, ...] = ()  # host names, addresses or socket folders, in libpq's order
    ports: tuple[str, ...] = ()  # one per host ("" for the default) or none at all
    dbname: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()  # every other ?key=value, decoded, in order
    shown: str = ""  # the URL with its passwords replaced by ***

    def __repr__(self) -> str:  # never the password, wherever the object ends up printed
        return f"DatabaseURL({self.display!r}, driver={self.driver!r})"

    @property
    def display(self) -> str:
        """The URL with any password replaced, safe for output and logs."""
        return self.shown or self.raw

    @property
    def is_local(self) -> bool:
        """SQLite, or PostgreSQL on this machine: every host (and hostaddr) local or a socket folder."""
        if self.dialect == "sqlite":
            return True
        hosts = [h for h in self.hosts if h] or _environment_list("PGHOST")
        hosts += [a for k, v in self.parameters if k == "hostaddr" for a in v.split(",")]
        return all(_is_local_host(h) for h in hosts)

    @property
    def database_name(self) -> str:
        """SQLite: the file's name without its extension. PostgreSQL: the database libpq connects
        to: the URL's, else $PGDATABASE, else the user's name."""
        if self.dialect == "sqlite":
            return os.path.splitext(os.path.basename(self.target))[0]
        return self.dbname or os.environ.get("PGDATABASE") or self.user_name

    @property
    def user_name(self) -> str:
        """The role libpq logs in as: the URL's, else $PGUSER, else the operating-system user."""
        from .settings import os_user  # here: settings reads URLs too

        return self.user or os.environ.get("PGUSER") or os_user() or ""

    @property
    def identity(self) -> tuple:
        """What makes two URLs the same database, whatever the driver or spelling."""
        if self.dialect == "sqlite":
            return ("sqlite", os.path.realpath(self.target))
        hosts = [h for h in self.hosts if h] or _environment_list("PGHOST")
        hosts = tuple("localhost" if _is_local_host(h) else h.lower() for h in hosts)
        default_ports = [p or "5432" for p in _environment_list("PGPORT")]
        ports = tuple(p or default_ports[0] for p in self.ports) or tuple(default_ports)
        return ("postgres", hosts, ports, self.database_name)

    def with_database(self, name: str) -> "DatabaseURL":
        """The same server, user and parameters, connected to database `name` (PostgreSQL)."""
        if self.dialect != "postgres":
            raise ValueError("with_database is for PostgreSQL URLs")
        scheme, _, rest = self.raw.partition("://")
        before_query, question, query = rest.partition("?")
        authority = before_query.split("/", 1)[0]
        segments = [s for s in query.split("&") if unquote(s.split("=", 1)[0]) != "dbname"] if query else []
        return parse(f"{scheme}://{authority}/{quote(name, safe='')}" + (question + "&".join(segments)))

    def libpq_dsn_and_environment(self, environ: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
        """A URL for libpq's tools (pg_dump, pg_restore, psql) and the environment to run them in.

        The password goes in PGPASSWORD, so it is neither on a command line (`ps`) nor in any
        message; parameters libpq does not know go in PGOPTIONS as server settings, as asyncpg
        treats them.
        """
        from psycopg import pq  # only the backup commands need libpq's list of keywords

        known = {d.keyword.decode() for d in pq.Conninfo.get_defaults()}
        env = dict(os.environ if environ is None else environ)
        # hosts and ports as parameters: libpq takes lists, socket folders and IPv6 addresses there too
        pairs = [("host", ",".join(self.hosts))] if self.hosts else []
        pairs += [("port", ",".join(self.ports))] if self.ports else []
        options = []
        for key, value in self.parameters:
            if key in known:
                pairs.append((key, value))
            else:
                options.append(f"-c {_pgoption(key)}={_pgoption(value)}")
        if options:
            env["PGOPTIONS"] = " ".join(filter(None, [env.get("PGOPTIONS"), *options]))
        if self.password:
            env["PGPASSWORD"] = self.password
        user = quote(self.user, safe="") + "@" if self.user else ""
        database = quote(self.dbname, safe="") if self.dbname else ""
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
        return f"postgresql://{user}/{database}" + (f"?{query}" if query else ""), env


def parse(url: str) -> DatabaseURL:
    """Read a database URL; anything that is not one of the contract's forms is a ConfigError."""
    if "\x00" in url:
        raise ConfigError("the database URL contains a NUL character")
    if not url.isascii():
        try:
            url.encode("utf-8")
        except UnicodeEncodeError:  # bytes that were not UTF-8, as os.environ hands them over
            raise ConfigError("the database URL is not valid UTF-8") from None
    scheme, sep, rest = url.partition(":")
    if not sep or not _SCHEME.fullmatch(scheme):
        raise ConfigError(f"database URL {_outline(url)!r} has no scheme; use file:PATH, sqlite:PATH "
                          "or postgresql://…")
    scheme = scheme.lower()
    if scheme in ("file", "sqlite"):
        return DatabaseURL("sqlite", "sqlite", _sqlite_path(url, rest), None, url)
    if scheme in _PG_SCHEMES:
        return _postgres(url, rest, _PG_SCHEMES[scheme])
    raise ConfigError(
        f"unsupported database URL scheme {scheme!r}: use file:PATH, sqlite:PATH, sqlite:///relative, "
        "sqlite:////absolute, postgresql://…, postgresql+asyncpg://… or postgresql+psycopg://…"
    )


def _sqlite_path(url: str, rest: str) -> str:
    rest = rest.split("?", 1)[0]
    if rest.startswith("//"):
        # sqlite:///rel/path -> rel/path ; sqlite:////abs/path -> /abs/path (SQLAlchemy's convention)
        after = rest[2:]
        if not after.startswith("/"):
            raise ConfigError(f"database URL {_outline(url)!r}: expected sqlite:///relative/path "
                              "or sqlite:////absolute/path")
        rest = after[1:]
    path = unquote(rest)
    if not path:
        raise ConfigError(f"database URL {_outline(url)!r} names no file")
    if "\x00" in path:  # %00: no file name can hold it
        raise ConfigError(f"database URL {_outline(url)!r}: a file name cannot contain %00")
    return path


# -- PostgreSQL: libpq's reading -------------------------------------------------------------------

def _postgres(url: str, rest: str, driver: str) -> DatabaseURL:
    def refuse(why: str) -> ConfigError:
        return ConfigError(f"database URL {_outline(url)}: {why}")

    if not rest.startswith("//"):
        raise refuse("expected postgresql://[user[:password]@][host][:port][/database][?key=value&…]")
    rest = rest[2:]
    if "#" in rest:  # libpq reads it as data, asyncpg (urllib) as the start of a fragment it drops
        raise refuse(f"'#' is not allowed; {_ENCODE}")
    if re.search(r"[\s\x00-\x1f\x7f]", rest):  # urllib drops tabs and newlines, libpq 17 refuses spaces
        raise refuse(f"spaces and control characters are not allowed; {_ENCODE}")
    try:
        parts = urlsplit("postgresql://" + rest)
    except ValueError:  # an unmatched [ or ], or characters urllib refuses in a host
        raise refuse(f"not a valid URL (an IPv6 address is written in brackets, e.g. [::1]); {_ENCODE}") from None
    # libpq's user information ends at the first '@' before any '/'; urllib's host part ends at
    # the first '/' or '?'. They must find the same single '@', and the path none.
    libpq_at = re.match(r"[^@/]*@", rest)
    if parts.netloc.count("@") != (1 if libpq_at else 0) or "@" in parts.path:
        raise refuse(f"the URL has an '@' that is not the one before the host; {_ENCODE}")

    userinfo, _, hostspec = parts.netloc.rpartition("@")
    user_text, colon, password_text = userinfo.partition(":")
    user, password = _decode(user_text, refuse) or None, _decode(password_text, refuse) or None
    hosts, ports = _hostspec(hostspec, refuse)
    path_database = _decode(parts.path[1:], refuse) or None
    parameters = _query(parts.query, refuse)

    # Given twice (in the URL and as ?key=): libpq takes the parameter, asyncpg the URL's part.
    given = dict(parameters)
    if len(given) < len(parameters):  # libpq takes the last, asyncpg the last that is not empty
        raise refuse("a URL parameter is given twice; keep one")
    if "database" in given:
        raise refuse("?database= is asyncpg's spelling only; name the database in the path or as ?dbname=")
    if "ssl" in given:
        raise refuse("?ssl= is not read the same by libpq and asyncpg; use ?sslmode=require (or another sslmode)")
    for key, in_url in (("dbname", path_database), ("user", user), ("password", password),
                        ("host", ",".join(hosts) or None), ("port", ",".join(ports) or None)):
        if key in given and in_url is not None and given[key] != in_url:
            raise refuse(f"the {key} is given twice (in the URL and as ?{key}=); keep one")
    if "host" in given:
        hosts = tuple(given["host"].split(","))
        if any(":" in h for h in hosts):  # asyncpg would read "::1" as host "" and port ":1"
            raise refuse("an IPv6 address goes in the host part, in brackets (postgresql://[::1]/db), not in ?host=")
    if "port" in given:
        ports = tuple(given["port"].split(","))
    if len(ports) > 1 and len(ports) != max(1, len(hosts)):
        raise refuse(f"{len(ports)} ports for {max(1, len(hosts))} host(s): give one port, or one per host")
    for port in ports:
        if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise refuse(f"a port must be a number from 1 to 65535; {_ENCODE}")  # never shown: it may be a password's

    query = "?" + parts.query if "?" in rest else ""
    parsed = DatabaseURL(
        "postgres", driver, "postgresql://" + parts.netloc + parts.path + query, given.get("password", password), url,
        user=given.get("user", user), hosts=hosts, ports=ports,
        dbname=given.get("dbname", path_database) or None,
        parameters=tuple((k, v) for k, v in parameters if k not in ("user", "password", "host", "port", "dbname")),
        shown=_shown(url, parts.netloc, colon, parts.path, parts.query),
    )
    if parts.path == "/":  # asyncpg reads a bare "/" as the database "", libpq as none: name libpq's choice
        named = "postgresql://" + parts.netloc + "/" + quote(parsed.database_name, safe="") + query
        parsed = parsed._replace(target=named)
    return parsed


def _decode(text: str, refuse) -> str:
    """libpq's percent-decoding: every % starts two hex digits, and %00 is refused."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise refuse(f"a '%' that does not start a %XX escape; {_ENCODE}, % as %25")
    if re.search(r"%00", text):
        raise refuse("%00 (a NUL character) is not allowed")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise refuse("a %XX escape that is not UTF-8") from None


def _environment_list(name: str) -> list[str]:
    """$PGHOST or $PGPORT as libpq reads them: a comma-separated list ([""] when unset)."""
    return os.environ.get(name, "").split(",")


def _hostspec(spec: str, refuse) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """host[:port][,host[:port]…] as libpq splits it; an IPv6 address comes in brackets."""
    if not spec:
        return (), ()
    hosts, ports = [], []
    for item in spec.split(","):
        if item.startswith("["):
            address, bracket, after = item[1:].partition("]")
            if not bracket or not address:
                raise refuse("an IPv6 address is written in non-empty brackets, e.g. [::1]")
            if after and not after.startswith(":"):
                raise refuse("expected ':' and a port after an IPv6 address in brackets")
            host, port = address, after[1:] if after else None
        else:
            host, colon, port = item.partition(":")
            port = port if colon else None
        hosts.append(_decode(host, refuse))
        ports.append(_decode(port, refuse) if port is not None else "")
    # libpq keeps the ports only when one is written (a comma counts: "h1,h2" has ports ",")
    return tuple(hosts), tuple(ports) if any(ports) or len(ports) > 1 else ()


def _query(query: str, refuse) -> list[tuple[str, str]]:
    """key=value pairs separated by '&', decoded, in order."""
    if not query:
        return []
    if "+" in query:  # asyncpg (urllib's parse_qs) reads it as a space, libpq as a plus
        raise refuse("'+' in a URL parameter is read differently by libpq and asyncpg; write %2B (or %20 for a space)")
    if "@" in query:  # most likely the rest of a password with an unencoded '?' (u:p@ss?w@rd@host)
        raise refuse(f"'@' in a URL parameter must be written %40; {_ENCODE}")
    pairs = []
    for segment in query.split("&"):
        if segment.count("=") != 1:
            raise refuse("each URL parameter must be key=value, separated by single '&'s; "
                         "an '=' or '&' in a value is written %3D or %26")
        key, value = (_decode(s, refuse) for s in segment.split("="))
        if not _PARAMETER_NAME.fullmatch(key):  # libpq keywords and server settings (a.b) alike
            raise refuse("a URL parameter's name may only have letters, digits, '_' and '.'")
        pairs.append((key, value))
    return pairs


def _shown(url: str, netloc: str, colon: str, path: str, query: str) -> str:
    """The URL as written, with the password and any ?password= / ?sslpassword= value as ***."""
    scheme = url.split("://", 1)[0]
    userinfo, at, hostspec = netloc.rpartition("@")
    if colon:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    segments = [f"{s.split('=', 1)[0]}=***" if unquote(s.split("=", 1)[0]) in _SECRET_PARAMETERS else s
                for s in query.split("&")]
    return f"{scheme}://{userinfo}{at}{hostspec}{path}" + ("?" + "&".join(segments) if "?" in url else "")


def _outline(url: str) -> str:
    """A URL that was refused, as it may be shown: nothing up to its last '@', no parameters.

    Refused means we cannot tell where its password ends, so hide all that could be part of one.
    """
    head, sep, rest = url.partition("://")
    if not sep:  # scheme:rest, or no scheme at all
        head, sep, rest = url.partition(":")
        if not sep or not _SCHEME.fullmatch(head):
            head, sep, rest = "", "", url
    query = re.search(r"[?#]", rest)
    before, after = (rest[:query.start()], rest[query.start():]) if query else (rest, "")
    if "@" in after:  # a password in the parameters, or one with an unencoded ? or #
        return f"{head}{sep}…"
    if "@" in before:
        before = "***@" + before.rpartition("@")[2]
    return head + sep + before + ("?…" if after else "")


def _is_local_host(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("/") or host.startswith("@")  # socket folder, abstract socket


def _pgoption(text: str) -> str:
    return text.replace("\\", "\\\\").replace(" ", "\\ ")  # PGOPTIONS splits on unescaped spaces


_PASSWORD_PARAMETER = re.compile(r"(?P<head>[?&](?:ssl)?password=)[^&#\s]*", re.I)
# user:password@ in a URL; the password runs to the last '@' of the URL, so one written with an
# unencoded '@' is hidden whole (at worst, more than the password is hidden). A scheme is tried
# only where a run of scheme characters starts (the lookbehind): trying it at every letter of a
# long word made redacting 100 KB of text take minutes.
_USERINFO = re.compile(r"(?P<head>(?<![a-z0-9+.-])[0-9+.-]*[a-z][a-z0-9+.-]*://[^\s:/]*:)(?P<password>\S*)(?=@)",
                       re.I)


def redact(text: str, password: str | None = None) -> str:
    """Hide passwords: the known one wherever it appears, any user:password@ in a URL and any ?password= parameter."""
    if password:
        text = text.replace(password, "***")
    # each pattern needs its marker: a long output without one (status) is not searched at all
    if "://" in text:
        text = _USERINFO.sub(lambda m: m["head"] + "***", text)
    if "=" in text:
        text = _PASSWORD_PARAMETER.sub(lambda m: m["head"] + "***", text)
    return text
