"""Numbers from the command line (docopt gives strings): one wording for every command's errors."""
from __future__ import annotations


def _refuse(message: str):
    from ..errors import ConfigError
    return ConfigError(message)


def whole_number(args: dict, key: str, *, minimum: int | None = None) -> int | None:
    """args[key] as an int, None when not given; a ConfigError (exit 2) for anything else."""
    value = args.get(key)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or (minimum is not None and number < minimum):
        floor = f" of at least {minimum}" if minimum is not None else ""
        raise _refuse(f"{key} must be a whole number{floor}, not {value!r}")
    return number


def seconds(args: dict, key: str) -> float:
    """args[key] as a non-negative number of seconds."""
    try:
        value = float(args[key])
    except ValueError:
        value = -1.0
    if value < 0:
        raise _refuse(f"{key} must be a number of seconds, not {args[key]!r}")
    return value


def connect_options(args: dict) -> dict:
    """The options every database command passes to `Migrator.connect`, parsed once, the same way."""
    return dict(lock_wait=seconds(args, "--lock-wait"), lock_timeout=seconds(args, "--lock-timeout"),
                statement_timeout=seconds(args, "--statement-timeout") if args.get("--statement-timeout") else None,
                retries=whole_number(args, "--retries", minimum=0))
