"""The studio's data pages on every backend: sorting, filtering, search, paging by key, exports,
foreign-key links and row pages, counts; and that whatever a visitor types is a 400, never a 500."""
from __future__ import annotations

import csv
import datetime
import html
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from starlette.testclient import TestClient

from migrator.studio import browse, create_app


def owner_of(i: int) -> int | None:
    return None if i % 5 == 0 else i % 3 + 1


def price_of(i: int) -> int | None:
    return None if i % 7 == 0 else (i * 37) % 20  # duplicates and NULLs, for the keyset's ties


def label_of(i: int) -> str:
    return {13: "50%_off Widget", 26: "50 off widget"}.get(i, f"thing {i:03d}")


def made_on(i: int) -> str:
    return (datetime.date(2025, 1, 1) + datetime.timedelta(days=(i * 11) % 90)).isoformat()


# (id, owner_id, label, price, made_on, active): what the things table holds
THINGS = [(i, owner_of(i), label_of(i), price_of(i), made_on(i), i % 3 == 0) for i in range(1, 131)]
PAIRS = [(1, "x,y", 10), (1, "a/b", 20), (2, "plain", None), (2, "100%", 5)]


def _sql(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def _values(rows) -> str:
    return ",\n".join("(" + ", ".join(_sql(v) for v in r) + ")" for r in rows)


DATA = f"""
CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO owners VALUES (1, 'Ada'), (2, 'Bo'), (3, 'Cy');
CREATE TABLE things (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER REFERENCES owners (id),
    label TEXT NOT NULL,
    price NUMERIC(10, 2),
    made_on DATE,
    active BOOLEAN NOT NULL
);
INSERT INTO things VALUES
{_values(THINGS)};
CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT NOT NULL, v INTEGER, PRIMARY KEY (a, b));
INSERT INTO pairs VALUES {_values(PAIRS)};
CREATE TABLE tags (id INTEGER PRIMARY KEY, pair_a INTEGER, pair_b TEXT, tag TEXT,
                   FOREIGN KEY (pair_a, pair_b) REFERENCES pairs (a, b));
INSERT INTO tags VALUES (1, 1, 'x,y', 'first'), (2, 1, 'x,y', 'second'), (3, 1, 'a/b', 'third');
CREATE TABLE loose (v INTEGER, w TEXT);
INSERT INTO loose VALUES {_values([(i % 4 if i % 9 else None, f"w{i}") for i in range(1, 76)])};
CREATE VIEW cheap_things AS SELECT id, label, price FROM things WHERE price < 5;
"""
DROP = "DROP VIEW cheap_things;\nDROP TABLE loose;\nDROP TABLE tags;\nDROP TABLE pairs;\nDROP TABLE things;\nDROP TABLE owners;\n"


@pytest.fixture
def data(project, backend, cli):
    project.migration("0001_data", DATA, DROP)
    assert cli("up").returncode == 0
    return backend


def client(backend, project) -> TestClient:
    return TestClient(create_app(backend.url, project.root), base_url="http://127.0.0.1")


def walk(c: TestClient, url: str, direction: str = "next") -> tuple[list[list], int]:
    """Follow the pages' next (or previous) links from `url`; every row seen, and how many pages."""
    rows, pages = [], 0
    while url:
        response = c.get(url)
        assert response.status_code == 200, response.text
        doc = response.json()
        rows += doc["rows"] if direction == "next" else doc["rows"][::-1]
        pages += 1
        url = doc["links"][direction]
        assert url is None or url.startswith("/api/tables/"), url  # the JSON's links lead to JSON
    return rows, pages


def expected(backend, column: str | None = None, desc: bool = False, keep=lambda r: True) -> list[int]:
    """The ids in the order the studio must show them: by the column with NULLs where the database
    sorts them (SQLite: lowest, PostgreSQL: highest), then by id."""
    index = ["id", "owner_id", "label", "price", "made_on", "active"].index(column) if column else 0
    nulls_low = backend.dialect == "sqlite"

    def key(r):
        v = r[index]
        return (0 if nulls_low else 1, 0) if v is None else (1 if nulls_low else 0, v)

    rows = sorted((r for r in THINGS if keep(r)), key=lambda r: r[0])
    return [r[0] for r in sorted(rows, key=key, reverse=desc)]


SORTS = [None, ("price", False), ("price", True), ("made_on", True), ("label", False), ("owner_id", True)]


def test_next_links_read_every_row_once_in_the_sort_order_and_previous_links_the_same_backwards(data, project):
    c = client(data, project)
    for sort in SORTS:
        params = f"?sort={sort[0]}{'&desc=1' if sort[1] else ''}" if sort else ""
        forwards, pages = walk(c, "/api/tables/things" + params)
        assert [r[0] for r in forwards] == expected(data, *(sort or ())), sort
        assert pages == 3
        backwards, _ = walk(c, "/api/tables/things" + (params + "&" if params else "?") + "page=last", "previous")
        assert [r[0] for r in backwards] == [r[0] for r in forwards][::-1], sort
        for number in (1, 2, 3):  # a page asked for by number is the page the links lead to
            page = c.get("/api/tables/things" + (params + "&" if params else "?") + f"page={number}").json()
            assert [r[0] for r in page["rows"]] == [r[0] for r in forwards][(number - 1) * 50:number * 50]


def test_composite_keys_tables_without_a_key_and_views_page_too(data, project):
    c = client(data, project)
    pairs, _ = walk(c, "/api/tables/pairs?sort=v&desc=1")
    assert sorted(map(tuple, pairs)) == sorted(PAIRS)
    loose, pages = walk(c, "/api/tables/loose?sort=v")  # no primary key: rowid / ctid breaks the ties
    assert pages == 2 and sorted(r[1] for r in loose) == sorted(f"w{i}" for i in range(1, 76))
    values = [r[0] for r in loose]
    non_null = [v for v in values if v is not None]
    assert non_null == sorted(non_null) and values.count(None) == 8
    view = c.get("/api/tables/cheap_things").json()
    assert view["kind"] == "view" and view["total"] == sum(1 for r in THINGS if r[3] is not None and r[3] < 5)
    assert c.get("/api/tables/cheap_things", params={"after": "[1]"}).status_code == 400  # no key to page by


def test_filters_combine_with_and_and_the_total_follows(data, project):
    c = client(data, project)
    cases = [
        ({"owner_id": "2"}, lambda r: r[1] == 2),
        ({"owner_id": "2", "price__gte": "10"}, lambda r: r[1] == 2 and r[3] is not None and r[3] >= 10),
        ({"price": ">15"}, lambda r: r[3] is not None and r[3] > 15),  # the filter row's shorthand
        ({"price": "<=3", "made_on__lt": "2025-02-01"},
         lambda r: r[3] is not None and r[3] <= 3 and r[4] < "2025-02-01"),
        ({"price__isnull": "1"}, lambda r: r[3] is None),
        ({"owner_id__isnull": "0", "owner_id__ne": "1"}, lambda r: r[1] is not None and r[1] != 1),
        ({"label": "thing 042"}, lambda r: r[2] == "thing 042"),
        ({"active": "true", "made_on": ">=2025-03-01"}, lambda r: r[5] and r[4] >= "2025-03-01"),
        ({"owner_id": ""}, lambda r: True),  # an empty input of the filter row filters nothing
    ]
    for params, keep in cases:
        doc = c.get("/api/tables/things", params=params).json()
        want = expected(data, keep=keep)
        assert doc["total"] == len(want) and not doc["estimated"], params
        assert doc["pages"] == max(1, -(-len(want) // 50)), params
        assert [r[0] for r in walk(c, doc["links"]["first"])[0]] == want
    html = c.get("/tables/things", params={"owner_id": "2", "price": ">=10"}).text
    assert f"{len(expected(data, keep=lambda r: r[1] == 2 and r[3] is not None and r[3] >= 10))} rows match" in html
    assert 'name="price" value="&gt;=10"' in html and 'name="owner_id" value="2"' in html  # the filter row
    assert "owner_id = 2" in html and "price ≥ 10" in html  # the active filters, each with a link dropping it


def test_search_looks_through_the_text_columns_ignoring_case_and_taking_wildcards_literally(data, project):
    c = client(data, project)
    assert [r[0] for r in c.get("/api/tables/things", params={"q": "WIDGET"}).json()["rows"]] == [13, 26]
    assert [r[0] for r in c.get("/api/tables/things", params={"q": "50%_off"}).json()["rows"]] == [13]
    assert c.get("/api/tables/things", params={"q": "%"}).json()["total"] == 1
    both = c.get("/api/tables/things", params={"q": "thing 04", "price__gt": "5"}).json()
    assert [r[0] for r in both["rows"]] == [i for i in range(40, 50) if price_of(i) is not None and price_of(i) > 5]
    assert c.get("/api/tables/owners", params={"q": "bo"}).json()["rows"] == [[2, "Bo"]]


BAD = [
    ({"nope": "1"}, "unknown column 'nope'"),
    ({"price__like": "1"}, "unknown operator '__like'"),
    ({"price": "abc"}, "'abc' is not a number"),
    ({"price__gt": "1e999999"}, "'1e999999' is out of range"),
    ({"made_on__gt": "yesterday"}, "'yesterday' is not a date"),
    ({"active__gt": "1"}, "gt compares numbers, dates and text"),
    ({"active": "maybe"}, "is not a boolean"),
    ({"price__isnull": "perhaps"}, "use 1 (is null) or 0 (is not null)"),
    ({"sort": "nope"}, "sort: unknown column 'nope'"),
    ({"sort": "price", "desc": "very"}, "desc must be 1 or 0"),
    ({"page": "99999999999999999999"}, "page must be a whole number"),
    ({"page": "0"}, "page must be a whole number"),
    ({"page": "4"}, "page 4 is past the last page (3)"),
    ({"page": "2", "owner_id": "2"}, "past the last page (1)"),
    ({"after": "not json"}, "after must be the cursor of a page link"),
    ({"after": "[1, 2]"}, "the cursor has 2 value(s)"),
    ({"after": "[1]", "before": "[2]"}, "give after or before, not both"),
    ({"format": "xml"}, "format must be csv or json"),
    ({"sort": "price", "sort ": "x"}, "unknown column 'sort '"),
]


def test_what_a_visitor_gets_wrong_is_a_400_with_a_message(data, project):
    c = client(data, project)  # a 500 would raise here: the test client re-raises server errors
    for params, message in BAD:
        for path in ("/api/tables/things", "/tables/things"):
            response = c.get(path, params=params)
            assert response.status_code == 400, (params, response.text)
            text = response.json()["error"] if path.startswith("/api/") else response.text
            assert message in (text if path.startswith("/api/") else _unescape(text)), (params, text)
    assert c.get("/api/tables/owners", params={"sort": "id", "sort_": "1"}).status_code == 400
    assert c.get("/api/tables/pairs", params={"v": "1", "sort": "v", "sort_again": "x"}).status_code == 400
    if data.dialect == "postgres":  # a value that parses but does not fit the column's type
        response = c.get("/api/tables/things", params={"price": "123456789012"})
        assert response.status_code == 400 and "does not fit its column" in response.json()["error"]


def _unescape(text: str) -> str:
    return html.unescape(text)


def test_exports_are_every_row_of_the_view_streamed_in_chunks(data, project, monkeypatch):
    monkeypatch.setattr(browse, "EXPORT_CHUNK", 7)  # many chunks: each continues after the last one's key
    c = client(data, project)
    keep = lambda r: r[3] is not None and r[3] >= 1  # noqa: E731
    for path in ("/tables/things", "/api/tables/things"):
        response = c.get(path, params={"price__gte": "1", "sort": "made_on", "desc": "1", "page": "2",
                                       "format": "csv"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].startswith('attachment; filename="things.csv"')
        table = list(csv.reader(io.StringIO(response.text)))
        assert table[0] == ["id", "owner_id", "label", "price", "made_on", "active"]
        assert [int(r[0]) for r in table[1:]] == expected(data, "made_on", True, keep)  # all pages, not page 2
        row = next(r for r in table[1:] if r[0] == "13")
        assert row[2] == "50%_off Widget" and row[1] == "2" and Decimal(row[3]) == 1
        false, true = ("0", "1") if data.dialect == "sqlite" else ("false", "true")  # as the database has them
        assert row[5] == false and next(r for r in table[1:] if r[0] == "3")[5] == true
    exported = c.get("/api/tables/things", params={"owner_id__isnull": "1", "format": "json"}).json()
    assert [r["id"] for r in exported] == expected(data, keep=lambda r: r[1] is None)
    assert exported[0].keys() == {"id", "owner_id", "label", "price", "made_on", "active"}
    assert exported[0]["owner_id"] is None and exported[0]["made_on"] == made_on(exported[0]["id"])
    view = c.get("/api/tables/cheap_things", params={"format": "csv"}).text  # no key: OFFSET chunks
    assert len(view.splitlines()) - 1 == sum(1 for r in THINGS if r[3] is not None and r[3] < 5)
    assert c.get("/tables/things", params={"format": "csv", "price": "x"}).status_code == 400  # before streaming


def test_foreign_keys_link_to_the_row_whose_page_shows_what_references_it(data, project):
    c = client(data, project)
    page = c.get("/tables/things").text
    assert '<a href="/tables/owners/2">2</a>' in page  # owner_id of thing 1
    assert '<a href="/tables/things/1">1</a>' in page  # a row's key leads to its own page
    owner = c.get("/api/tables/owners/2").json()
    assert owner["rows"] == [[2, "Bo"]] and owner["primary_key"] == ["id"]
    (things,) = owner["referenced_by"]
    want = [r[0] for r in THINGS if r[1] == 2]
    assert (things["table"], things["via"], things["count"]) == ("things", ["owner_id"], len(want))
    assert [r[0] for r in things["rows"]] == want[:10]
    assert things["link"] == "/api/tables/things?owner_id=2"
    assert c.get(things["link"]).json()["total"] == len(want)
    html = c.get("/tables/owners/2").text
    assert "<h1>owners <span" in html and f"{len(want)} rows" in html and 'href="/tables/things?owner_id=2"' in html

    # a composite key, with a comma and a slash in it: each value is quoted on its own
    tags = c.get("/tables/tags").text
    assert f'href="/tables/pairs/1,{quote("x,y", safe="")}"' in tags
    pair = c.get(f"/api/tables/pairs/1,{quote('a/b', safe='')}").json()
    assert pair["rows"] == [[1, "a/b", 20]] and pair["referenced_by"][0]["count"] == 1
    assert c.get(f"/api/tables/pairs/1,{quote('x,y', safe='')}").json()["referenced_by"][0]["count"] == 2

    assert c.get("/api/tables/owners/99").status_code == 404
    assert c.get("/api/tables/owners/abc").status_code == 404  # not even a number
    assert c.get("/api/tables/pairs/1").status_code == 404  # half a key
    assert c.get("/api/tables/loose/1").status_code == 404  # no primary key, no row pages
    assert c.get("/api/tables/nope/1").status_code == 404


def test_the_tables_page_and_the_sidebar_list_every_table_and_view_with_its_row_count(data, project):
    c = client(data, project)
    listed = {r["name"]: r for r in c.get("/api/tables").json()["relations"]}
    assert {n: (r["kind"], r["rows"]) for n, r in listed.items()} == {
        "loose": ("table", 75), "owners": ("table", 3), "pairs": ("table", 4), "tags": ("table", 3),
        "things": ("table", 130), "cheap_things": ("view", sum(1 for r in THINGS if r[3] is not None and r[3] < 5))}
    assert list(listed) == ["loose", "owners", "pairs", "tags", "things", "cheap_things"]  # tables, then views
    sidebar = c.get("/tables/owners").text.split('<aside class="sidebar">')[1].split("</aside>")[0]
    assert re.findall(r'<a href="/tables/(\w+)">', sidebar) == list(listed)
    assert re.search(r'<a href="/tables/things">things</a>\s*<span class="count">130</span>', sidebar)


def test_row_counts_of_more_tables_than_one_query_can_hold_are_counted_in_several(data, project, monkeypatch):
    monkeypatch.setattr(browse, "COUNTS_PER_QUERY", 2)  # 2000 columns at most on SQLite, 1664 on PostgreSQL
    listed = {r["name"]: r["rows"] for r in client(data, project).get("/api/tables").json()["relations"]}
    assert listed["loose"] == 75 and listed["things"] == 130 and listed["owners"] == 3 and listed["tags"] == 3


def test_numbers_are_right_aligned_on_every_backend(data, project):
    page = client(data, project).get("/tables/things").text
    price = price_of(1)
    assert re.search(r'<th class="num" title="[^"]*">\s*<a href="[^"]*sort=price">price</a>', page)
    assert re.search(rf'<td class="num">{price}(\.00)?</td>', page)  # PostgreSQL's numeric comes as text
    assert '<td class="date">2025-' in page


@pytest.fixture
def pg_data(project, pg_backend, pg_cli):
    project.migration("0001_data", DATA, DROP)
    assert pg_cli("up").returncode == 0
    pg_backend.query("ANALYZE")  # the catalog's statistics, as autovacuum would gather them
    return pg_backend


def test_postgres_shows_the_planners_estimate_above_the_threshold_and_says_so(pg_data, project, monkeypatch):
    monkeypatch.setattr(browse, "ESTIMATE_ABOVE", 100)
    c = client(pg_data, project)
    doc = c.get("/api/tables/things").json()
    assert doc["estimated"] and doc["total"] == 130  # ANALYZE saw every row of so small a table
    assert "about 130 rows (an estimate" in c.get("/tables/things").text
    small = c.get("/api/tables/things", params={"owner_id": "2"}).json()
    assert not small["estimated"] and small["total"] == len([r for r in THINGS if r[1] == 2])
    walked, _ = walk(c, "/api/tables/things?page=last", "previous")  # the last page without an exact count
    assert [r[0] for r in walked] == list(range(130, 0, -1))
    far = c.get("/api/tables/things", params={"page": 3}).json()  # by number, in the far half: counted
    assert (far["total"], far["estimated"], [r[0] for r in far["rows"]]) == (130, False, list(range(101, 131)))
    listed = {r["name"]: r for r in c.get("/api/tables").json()["relations"]}
    assert listed["things"]["estimated"] and not listed["owners"]["estimated"]
    assert "~130" in c.get("/tables/owners").text


def test_sqlite_always_counts(sqlite_backend, project, monkeypatch):
    project.migration("0001_data", DATA, DROP)
    from conftest import run_cli
    assert run_cli("up", backend=sqlite_backend, project=project).returncode == 0
    monkeypatch.setattr(browse, "ESTIMATE_ABOVE", 1)
    doc = client(sqlite_backend, project).get("/api/tables/things").json()
    assert (doc["total"], doc["estimated"]) == (130, False)


def test_what_a_visitor_typed_is_shown_as_text(data, project):
    c = client(data, project)
    evil = '"><script>alert(1)</script>'
    page = c.get("/tables/things", params={"q": evil, "label": evil}).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    links = re.findall(r'href="(/tables/things\?[^"]*)"', page)
    assert links and all("<" not in h and ">" not in h for h in links)
    assert any(parse_qs(urlsplit(h).query).get("q") == [evil] for h in links)  # carried, encoded
