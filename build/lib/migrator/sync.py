"""Blocking wrappers over the async API, for code that has no event loop (scripts, WSGI apps).

Each call connects, does one thing and disconnects:

    from migrator import sync
    sync.up("postgresql://app@db/app", "path/to/project")

Inside a running event loop use `async with Migrator.connect(...)` instead.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable

from .engine import Migrator, ResetResult, StatusReport
from .model import Migration, Problem, StepResult


def _run(call: Callable[[Migrator], Awaitable[Any]], url: str | None, project_dir: str | Path,
         options: dict, read_only: bool = False) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("migrator.sync cannot run inside a running event loop; "
                           "use `async with Migrator.connect(...)` there")

    async def main():
        async with Migrator.connect(url, project_dir, read_only=read_only, **options) as m:
            return await call(m)
    return asyncio.run(main())


def up(url: str | None = None, project_dir: str | Path = ".", *, to: int | None = None,
       single_transaction: bool = False, **options) -> list[StepResult]:
    return _run(lambda m: m.up(to, single_transaction=single_transaction), url, project_dir, options)


def down(url: str | None = None, project_dir: str | Path = ".", count: int | None = None, *,
         to: int | None = None, everything: bool = False, **options) -> list[StepResult]:
    return _run(lambda m: m.down(count, to=to, everything=everything), url, project_dir, options)


def status(url: str | None = None, project_dir: str | Path = ".", **options) -> StatusReport:
    return _run(lambda m: m.status(), url, project_dir, options, read_only=True)


def verify(url: str | None = None, project_dir: str | Path = ".", *, strict: bool = False,
           **options) -> list[Problem]:
    return _run(lambda m: m.verify(strict=strict), url, project_dir, options, read_only=True)


def plan_up(url: str | None = None, project_dir: str | Path = ".", *, to: int | None = None,
            **options) -> list[Migration]:
    return _run(lambda m: m.plan_up(to), url, project_dir, options, read_only=True)


def seed(url: str | None = None, project_dir: str | Path = ".", names: list[str] | None = None, *,
         scale: int = 1000, **options) -> list[StepResult]:
    return _run(lambda m: m.seed(names, scale=scale), url, project_dir, options)


def reset(url: str | None = None, project_dir: str | Path = ".", *, seed: bool = True, force: bool = False,
          **options) -> ResetResult:
    return _run(lambda m: m.reset(seed=seed, force=force), url, project_dir, options)
