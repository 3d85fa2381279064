"""python runner.py <command> [options]: the migration runner from a checkout.

The same program as the installed `runner` command. The usage text, which is the interface,
is migrator/cli/usage.py (`python runner.py --help` prints it); the commands live in
migrator/cli/.
"""
import sys

from migrator.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="runner.py"))
