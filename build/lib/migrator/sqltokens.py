"""A small SQL tokenizer for both dialects: enough to recognise statement shapes and to compare
expressions without whitespace, case and quoting noise. It never executes or validates SQL.

Used by `lint` (what a statement creates, drops or renames) and by SQLite introspection (CHECK
expressions and collations that only exist in the stored CREATE TABLE text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    kind: str  # "word" | "name" (a quoted identifier) | "string" | "number" | "op"
    text: str  # as written
    offset: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def ident(self) -> str:
        """The identifier this token names: unquoted folds to lower case, quotes are removed."""
        if self.kind == "name":
            inner = self.text[1:-1]
            closing = self.text[-1]
            return inner.replace(closing * 2, closing) if closing in "\"`" else inner
        return self.text.lower()


_TOKEN = re.compile(r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*|)\$.*?(?:\$(?P=tag)\$|\Z))
    | (?P<string>[EeXxBbNn]?'(?:[^']|'')*(?:'|\Z))
    | (?P<name>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)
    | (?P<cast>::)
    | (?P<param>[:@?$][A-Za-z0-9_]*)
    | (?P<op><>|<=|>=|!=|\|\||->>|->|[^\s])
""", re.X | re.S)


def tokenize(sql: str, base: int = 0) -> list[Token]:
    """The tokens of `sql` without whitespace and comments; offsets are `base` + index in `sql`."""
    tokens = []
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup if m.lastgroup != "tag" else "dollar"
        if kind in ("space", "comment"):
            continue
        if kind == "dollar":
            kind = "string"
        elif kind in ("param", "cast"):
            kind = "op"
        tokens.append(Token(kind, m.group(0), base + m.start()))
    return tokens


def words(tokens: list[Token]) -> list[str]:
    """Keywords in upper case, other tokens as they are: what statement patterns match on."""
    return [t.upper or t.text for t in tokens]


_SPACED = frozenset("""and or not in as on is exists check when then else values select where using like glob
between by from join case end begin default references key unique primary table index view over filter
returns language""".split())


def normalise(tokens: list[Token] | str) -> str:
    """One canonical spelling of an expression: single spaces, lower-case identifiers and keywords,
    quotes only where the identifier needs them, no space inside parentheses or before commas."""
    if isinstance(tokens, str):
        tokens = tokenize(tokens)
    parts = []
    for t in tokens:
        if t.kind in ("word", "name"):
            name = t.ident if t.kind == "name" else t.text.lower()
            parts.append(name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"')
        else:
            parts.append(t.text)
    text = " ".join(parts)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+([),;])", r"\1", text)
    # a function call's parenthesis sticks to its name; a keyword's does not
    text = re.sub(r"\b([a-z_][a-z0-9_$]*) \(", lambda m: m.group(0) if m.group(1) in _SPACED else m.group(1) + "(",
                  text)
    text = re.sub(r"\s*\.\s*", ".", text)
    return text


def group_end(tokens: list[Token], start: int) -> int:
    """Index just past the parenthesised group opening at `tokens[start]` (which must be '(')."""
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].text == "(":
            depth += 1
        elif tokens[i].text == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(tokens)


def split_top_level(tokens: list[Token], sep: str = ",") -> list[list[Token]]:
    """Split on `sep` outside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        if t.text == sep and depth == 0:
            parts.append([])
        else:
            parts[-1].append(t)
    return [p for p in parts if p]
