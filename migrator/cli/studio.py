"""`runner studio`: check the database answers, bind, print the address, serve until Ctrl-C."""
from __future__ import annotations

from .numbers import whole_number


def serve(cli) -> int:
    """Blocking: uvicorn runs its own event loop."""
    import asyncio
    import secrets

    import uvicorn

    from ..engine import Migrator
    from ..studio import create_app
    from ..studio.listen import address_of, bind, is_loopback

    args, out, url = cli.args, cli.out, cli.url
    port, host, token = whole_number(args, "--port"), args["--host"], args["--token"]
    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(24)
    timeouts = dict(cli.options)
    del timeouts["retries"]  # the studio never changes anything
    timeouts["statement_timeout"] = timeouts["statement_timeout"] or 10.0  # no page waits forever

    async def check() -> None:  # a bad URL or an unreachable server is an error now, not on the first page
        async with Migrator.connect(url, cli.dir, read_only=True, **timeouts) as m:
            await m.status()

    asyncio.run(check())
    sock = bind(host, port)
    address = address_of(sock) + (f"?token={token}" if token else "")
    app = create_app(url, cli.dir, token=token, **timeouts)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    out.progress(f"studio for {url.display} (read-only); press Ctrl-C to stop")
    out.result(address)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down cleanly and passes the Ctrl-C on
    finally:
        sock.close()
    out.progress("studio stopped")
    return 0
