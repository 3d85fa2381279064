"""`new`: the next-numbered pair of files, as wide as the existing versions (4 by default)."""
from __future__ import annotations

import re
from pathlib import Path

from .errors import ConfigError
from .files import FILE_NAME, require_project
from .model import rollback_template, up_template


def scaffold(project_dir: str | Path, name: str) -> tuple[Path, Path]:
    """Create sql/<next>_<name>.sql and rollbacks/<next>_<name>.sql; their paths."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ConfigError(f"migration name {name!r} may only contain letters, digits, '_' and '-'")
    project_dir = Path(project_dir)
    require_project(project_dir)
    existing = [m for p in (project_dir / "sql").glob("*.sql") if (m := FILE_NAME.match(p.name))]
    taken = sorted(m.string for m in existing if m["name"] == name)
    if taken:
        raise ConfigError(f"a migration named {name!r} exists already: sql/{taken[0]}; choose another name "
                          "(or edit that one while it is not applied)")
    width = max((len(m["version"]) for m in existing), default=4)
    version = max((int(m["version"]) for m in existing), default=-1) + 1
    stem = f"{version:0{width}d}_{name}"
    up, down = project_dir / "sql" / f"{stem}.sql", project_dir / "rollbacks" / f"{stem}.sql"
    down.parent.mkdir(exist_ok=True)
    up.write_text(up_template(stem), encoding="utf-8")
    down.write_text(rollback_template(stem), encoding="utf-8")
    return up, down
