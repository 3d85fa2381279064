"""The docs stay true to the code: the README starts with its two commands and shows the usage as
`--help` prints it; every command and option of the usage, and every module of the package, is
documented; every relative link leads somewhere. (sqlite-utils' tests/test_docs.py is the model.)"""
import re
from pathlib import Path

from migrator.cli import usage_text
from migrator.cli.usage import USAGE
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = sorted((ROOT / "docs").glob("*.md"))
ALL_DOCS = "\n".join([README] + [page.read_text(encoding="utf-8") for page in PAGES])
MAX_README_LINES = 250


def usage_lines() -> list[str]:
    usage = USAGE.split("Usage:", 1)[1].split("\n\n", 1)[0]
    return [line.strip().replace("runner.py ", "", 1) for line in usage.strip().splitlines()
            if "--help" not in line and "--version" not in line]


def commands() -> list[str]:
    """`up`, `down`, …, `fleet up`, …: the words of each usage line before its first argument or option."""
    found = []
    for line in usage_lines():
        words = []
        for word in line.split():
            if word[0] in "[<(-":
                break
            words.append(word)
        found.append(" ".join(words))
    return list(dict.fromkeys(found))


def test_readme_starts_with_the_two_commands():
    block = README.split("```", 2)[1].splitlines()[1:]
    commands = [line for line in block if line.strip()]
    assert len(commands) == 2
    assert "runner.py up" in commands[0] and "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci/run").read_text()


def test_the_readme_is_at_most_250_lines():
    assert len(README.splitlines()) <= MAX_README_LINES


def test_the_readme_shows_the_usage_as_help_prints_it():
    # If this fails, paste the output of `python runner.py --help` into the README's Usage block.
    assert usage_text("runner.py") in README


def test_every_usage_line_is_in_the_readme():
    missing = [line for line in usage_lines() if line not in README]
    assert missing == []


def test_every_command_is_documented():
    # Documented: named in backticks somewhere in the README or docs/, on its own (`status`) or
    # with its arguments (`up --test`, `runner fleet up …`), beyond the usage block.
    prose = ALL_DOCS.replace(usage_text("runner.py"), "")
    undocumented = [c for c in commands()
                    if not re.search(r"`(?:(?:runner|runner\.py|python runner\.py) )?" + re.escape(c) + r"[`\s]", prose)]
    assert undocumented == []


def test_every_option_is_documented():
    options = set(re.findall(r"^\s+(--[a-z-]+)", USAGE, re.M)) - {"--help", "--version"}
    prose = ALL_DOCS.replace(usage_text("runner.py"), "")
    assert sorted(o for o in options if o not in prose) == []


def test_every_module_is_named_in_the_architecture_page():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "migrator").rglob("*.py"))
    assert modules, "no modules found under migrator/"
    assert [m for m in modules if f"`{m}`" not in page] == []


def test_every_docs_page_is_linked_from_the_readme():
    assert [p.name for p in PAGES if f"(docs/{p.name}" not in README] == []


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m[1]) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def test_every_relative_link_leads_to_a_file_and_heading_that_exist():
    broken = []
    for page in [ROOT / "README.md", *PAGES]:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            destination = (page.parent / path).resolve() if path else page
            if not destination.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []
