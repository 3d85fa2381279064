"""The command line's usage text: the interface. docopt-ng parses it; `--help` prints it."""

USAGE = """SQL migration runner: numbered SQL files, paired rollbacks, a checksummed journal.

Usage:
  runner.py up [--to=<version>] [--dry-run | --test] [--single-transaction] [--allow-out-of-order] [--backup] [options]
  runner.py down [<count>] [--to=<version> | --all] [--dry-run] [options]
  runner.py redo [options]
  runner.py status [--json] [options]
  runner.py verify [--strict] [options]
  runner.py new <name> [options]
  runner.py seed [<name>...] [--scale=<n>] [options]
  runner.py baseline <version> [options]
  runner.py reset [--no-seed] [--force] [--scale=<n>] [options]
  runner.py repair [options]
  runner.py backup [--out=<path>] [options]
  runner.py restore <path> [options]
  runner.py check [--scratch-url=<url>] [--scratch-prelude=<file>] [options]
  runner.py drift [--scratch-url=<url>] [--scratch-prelude=<file>] [options]
  runner.py schema [--out=<path>] [--from-files] [--scratch-url=<url>] [--scratch-prelude=<file>] [options]
  runner.py lint [--json] [--strict] [--dialect=<dialect>] [--min-sqlite=<version>] [options]
  runner.py fleet up --targets=<file> [--to=<version>] [--json] [options]
  runner.py fleet down [<count>] --targets=<file> [--to=<version>] [--json] [options]
  runner.py fleet status --targets=<file> [--json] [options]
  runner.py fleet verify --targets=<file> [--strict] [--json] [options]
  runner.py fleet seed [<name>...] --targets=<file> [--scale=<n>] [--json] [options]
  runner.py studio [--port=<n>] [--host=<addr>] [--token=<token>] [options]
  runner.py (-h | --help)
  runner.py --version

Options:
  --url=<url>             Database URL; else $DATABASE_URL, else DATABASE_URL in <dir>/.env,
                          else file:./dev.db (SQLite).
  --dir=<path>            Project directory holding sql/, rollbacks/, seeds/ and .env [default: .]
  --lock-wait=<seconds>   How long to wait for another runner's lock before exit 4 [default: 30]
  --lock-timeout=<seconds>  PostgreSQL: how long one statement may wait for a table lock before the
                          migration fails (or is retried) instead of stalling every query queued
                          behind it; 0 waits forever [default: 5]
  --statement-timeout=<seconds>  PostgreSQL: the longest one statement may run (default: no limit).
  --retries=<n>           Retry a migration that failed waiting for a lock, n times with backoff
                          (0.5 s, 1 s, 2 s, … up to 30 s) [default: 0]
  --log-file=<path>       Append one JSON line per event of this run (start, each step, errors,
                          end); else $RUNNER_LOG_FILE, else RUNNER_LOG_FILE in <dir>/.env.
  --to=<version>          up: stop after this version; down: leave this version and older applied.
  --all                   down: roll back every applied migration.
  --dry-run               Print the SQL that would run, in order, and change nothing.
  --test                  up: apply every pending migration in one transaction on the real
                          database, report what would fail, and roll it all back.
  --single-transaction    up: all pending migrations in one transaction, all or nothing.
  --allow-out-of-order    up: also apply a pending migration older than the newest applied one (two
                          branches merged); it is recorded, and shown by status, as applied out of order.
  --backup                up: take a backup first (as `backup` does) when something is pending.
  --out=<path>            backup: the file to write (never overwritten) or an existing folder;
                          default <dir>/backups/<dbname>-<UTC time>.<dump|db>;
                          schema: write the SQL text to this file instead of stdout.
  --json                  status, lint, fleet: one JSON document on stdout.
  --strict                verify: pending migrations are problems too (is the database fully migrated?);
                          lint: warnings fail too.
  --scale=<n>             seed: the number the seeds read from runner_seed.scale [default: 1000]
  --no-seed               reset: do not run the seeds after `up`.
  --force                 reset: also on a database that is not local (never with RUNNER_ENV=production).
  --scratch-url=<url>     check, drift, schema: an empty database to apply migrations in; default: a temporary
                          SQLite file, or a temporary database on the --url PostgreSQL server, dropped after.
  --scratch-prelude=<file>  check, drift, schema: SQL run on the scratch database before the migrations
                          (extensions, another tool's tables), in one transaction.
  --from-files            schema: the schema the migration files give (built on a scratch database).
  --dialect=<dialect>     lint: only the files of this dialect (sqlite or postgres); default: both.
  --min-sqlite=<version>  lint: the oldest SQLite the migrations must run on; default: the runner's own.
  --port=<n>              studio: the port to serve on (0: any free one) [default: 4983]
  --host=<addr>           studio: the address to serve on; anything but loopback needs a token [default: 127.0.0.1]
  --token=<token>         studio: require this token on every request (generated and printed when
                          the host is not loopback and none is given).
  -h --help               Show this help.
  --version               Show the runner's version.

Fleet options (the same command on every database of a targets file):
  --targets=<file>        Lines of `name url`; # comments; ${VAR} is taken from the environment.
  --parallel=<n>          How many targets run at once, each with its own connection [default: 8]
  --canary=<k>            Run the first k targets one at a time first; any failure there stops the fleet
                          [default: 0]
  --continue-on-error     Keep starting targets after one fails (without it, the first failure stops new
                          targets; running ones stop after their current migration).

backup writes a consistent copy (PostgreSQL: pg_dump -Fc; SQLite: the online backup API), readable
by its owner only, and prints its path. restore <path> puts a backup back (PostgreSQL: in one
transaction, through pg_restore and psql; SQLite: through the backup API into the live file).

studio serves a read-only browser view of the database (migrations, events, schema, data) until Ctrl-C.

Exit status: 0 success; 1 a migration, seed, backup or restore failed; 2 usage or configuration
error (also: pg_dump/pg_restore/psql not installed, a file that is not a backup); 3 verify found
problems (and up refusing for the same reasons), check/drift/lint found problems, baseline or redo
refused (nothing changed); 4 the lock was not taken in time; 128+N backup or restore stopped by
signal N (SIGINT 130, SIGTERM 143).
fleet: 0 every target succeeded; 1 a target failed; 2 configuration; 4 every failure was a lock wait;
128+N stopped by signal N (SIGINT 130, SIGTERM 143).
Progress goes to stderr, results to stdout.
"""
