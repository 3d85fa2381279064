"""The studio's web app (Starlette): HTML pages and the JSON behind them, GET only.

Each request opens its own read-only connection (`Migrator.connect(..., read_only=True)`), so the
pages always show the files and the database as they are now, and concurrent requests never
share a connection. Jinja2 autoescapes every value; a Content-Security-Policy forbids scripts
and anything not served from here.
"""
from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from urllib.parse import quote, unquote

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..engine import Migrator, resolve_url
from ..errors import MigratorError
from ..url import DatabaseURL, redact
from . import browse, catalog, export, reads
from .columns import BadRequest
from .query import parse

HERE = Path(__file__).resolve().parent
TOKEN_COOKIE = "studio_token"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
SECURITY_HEADERS = {
    # no script at all, nothing from elsewhere: the page is HTML and one local stylesheet
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # a ?token= URL never leaks through a Referer header
    "cache-control": "no-store",
}


def create_app(url: str | DatabaseURL | None = None, project_dir: str | Path = ".", *, token: str | None = None,
               statement_timeout: float = 10.0, lock_timeout: float = 5.0, lock_wait: float = 30.0,
               allowed_hosts: list[str] | None = None) -> Starlette:
    """The studio for one database and project directory.

    token: required on every request (`?token=`, `Authorization: Bearer`, or the cookie the first
    visit sets); None serves without one, for loopback only. allowed_hosts: Host headers served
    (default: loopback names only, which stops DNS-rebinding pages from reading the database).
    """
    db_url = url if isinstance(url, DatabaseURL) else resolve_url(url, project_dir)
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                                   undefined=jinja2.StrictUndefined)
    templates.filters["u"] = lambda text: quote(str(text), safe="")
    templates.globals.update(database=db_url.display, dialect=db_url.dialect, version=__version__)

    @contextlib.asynccontextmanager
    async def connect():
        async with Migrator.connect(db_url, project_dir, read_only=True, lock_wait=lock_wait,
                                    lock_timeout=lock_timeout, statement_timeout=statement_timeout) as m:
            yield m

    def page(request: Request, template: str, **context) -> Response:
        html = templates.get_template(template).render(request_path=request.url.path, **context)
        return HTMLResponse(html)

    async def migrations_page(request: Request) -> Response:
        async with connect() as m:
            doc = await reads.migrations(m)
        return page(request, "migrations.html", doc=doc, nav="migrations")

    async def events_page(request: Request) -> Response:
        action, failed = _event_filters(request)
        async with connect() as m:
            doc = await reads.events(m, action=action, failed_only=failed)
        return page(request, "events.html", doc=doc, nav="events")

    async def schema_page(request: Request) -> Response:
        async with connect() as m:
            doc = await reads.schema(m)
        return page(request, "schema.html", doc=doc, nav="schema")

    async def tables_page(request: Request) -> Response:
        async with connect() as m:
            doc = await browse.relations(m, await catalog.read(m.db), count_views=True)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"relations": doc})
        return page(request, "tables.html", doc=doc, nav="tables")

    async def data_page(request: Request) -> Response:
        """/tables/<name> (a page of rows, or an export) and /tables/<name>/<key> (one row), HTML or JSON."""
        api = request.url.path.startswith("/api/")
        async with connect() as m:
            relations = await catalog.read(m.db)
            name, key = _target(request, "/api/tables/" if api else "/tables/", relations)
            rel = browse.relation(relations, name, "/api/tables" if api else "/tables")
            if key is not None:
                doc = await browse.row(m, relations, rel, key)
                template = "row.html"
            else:
                query = parse(request.query_params.multi_items(), rel.cols)
                if query.format:
                    select = await browse.export_plan(m, rel, query)
                    return _export(rel, select, query.format)
                doc = await browse.page(m, rel, query)
                template = "table.html"
            if api:
                return JSONResponse({k: v for k, v in doc.items() if k != "form"})
            counted = {} if key is not None or query.narrowed else {rel.name: (doc["total"], doc["estimated"])}
            sidebar = await browse.relations(m, relations, count_views=False, known=counted)
        return page(request, template, doc=doc, sidebar=sidebar, nav="tables")

    def _export(rel: browse.Relation, select, fmt: str) -> Response:
        encode = export.csv_lines if fmt == "csv" else export.json_array
        columns = [c.name for c in rel.cols]

        async def body():
            async with connect() as m:  # its own connection: the one that checked the filters is closed
                async for piece in encode(columns, browse.export_rows(m, select)):
                    yield piece

        return StreamingResponse(body(), media_type=export.MEDIA_TYPES[fmt],
                                 headers={"content-disposition": export.disposition(rel.name, fmt)})

    async def api_status(request: Request) -> Response:
        async with connect() as m:
            return JSONResponse(await reads.migrations(m))

    async def api_events(request: Request) -> Response:
        action, failed = _event_filters(request)
        async with connect() as m:
            return JSONResponse(await reads.events(m, action=action, failed_only=failed))

    async def api_schema(request: Request) -> Response:
        async with connect() as m:
            return JSONResponse(await reads.schema(m))

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if wants_json(request):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return HTMLResponse(templates.get_template("error.html").render(
            request_path=request.url.path, nav=None, status=exc.status_code, message=exc.detail),
            status_code=exc.status_code)

    async def bad_request(request: Request, exc: BadRequest) -> Response:
        return await http_error(request, HTTPException(400, str(exc)))

    async def not_found(request: Request, exc: browse.NotFound) -> Response:
        return await http_error(request, HTTPException(404, str(exc)))

    async def database_error(request: Request, exc: MigratorError) -> Response:
        # e.g. the server went away, or a count hit statement_timeout: say so, without the password
        message = redact("\n".join(exc.lines()), db_url.password)
        return await http_error(request, HTTPException(503, message))

    routes = [
        Route("/", migrations_page),
        Route("/events", events_page),
        Route("/schema", schema_page),
        Route("/tables", tables_page),
        Route("/tables/{rest:path}", data_page),
        Route("/api/status", api_status),
        Route("/api/events", api_events),
        Route("/api/schema", api_schema),
        Route("/api/tables", tables_page),
        Route("/api/tables/{rest:path}", data_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    hosts = allowed_hosts if allowed_hosts is not None else (["*"] if token else LOOPBACK_HOSTS)
    return Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts), Middleware(TokenGate, token=token)],
        exception_handlers={HTTPException: http_error, MigratorError: database_error, BadRequest: bad_request,
                            browse.NotFound: not_found},
    )


def _target(request: Request, prefix: str, relations: dict) -> tuple[str, tuple[str, ...] | None]:
    """(relation name, primary key values or None), read from the raw path so that a `/` inside a
    name or a key (sent as %2F) is told apart from the one between them. A path that names a
    relation as a whole is that relation's page (so a name typed with a bare `/` works too)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    rest = raw.decode("utf-8", "replace")[len(prefix):]
    whole = unquote(rest)
    if whole in relations or "/" not in rest.rstrip("/"):
        return whole if whole in relations else whole.rstrip("/"), None
    name, _, key = rest.rpartition("/")
    return unquote(name), tuple(unquote(k) for k in key.split(","))


def _event_filters(request: Request) -> tuple[str | None, bool]:
    action = request.query_params.get("action") or None
    failed = request.query_params.get("failed", "") in ("1", "true", "on", "yes")
    return action, failed


class TokenGate:
    """Every response gets the security headers; with a token, a request without it gets 401.

    The token may come as `?token=` (then a cookie is set so the page's links work),
    `Authorization: Bearer <token>`, or that cookie.
    """

    def __init__(self, app, token: str | None):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        from_query = request.query_params.get("token")
        if self.token is not None:
            bearer = request.headers.get("authorization", "")
            offered = [from_query, request.cookies.get(TOKEN_COOKIE),
                       bearer[7:] if bearer.lower().startswith("bearer ") else None]
            if not any(t and secrets.compare_digest(t.encode(), self.token.encode()) for t in offered):
                response = PlainTextResponse("401 Unauthorized: this studio needs its token "
                                             "(open the URL with ?token= that `runner.py studio` printed)\n",
                                             status_code=401, headers={"www-authenticate": "Bearer"})
                for name, value in SECURITY_HEADERS.items():
                    response.headers[name] = value
                await response(scope, receive, send)
                return
        set_cookie = self.token is not None and from_query is not None

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if set_cookie:
                    headers.append("set-cookie", f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict")
            await send(message)

        await self.app(scope, receive, send_with_headers)
