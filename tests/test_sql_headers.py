"""Every SQL file states in its header what it reads, what it creates or returns and its parameters,
and the header agrees with the SQL below it; every file is loaded by the code and every name the code
loads is a file; pyproject.toml ships every package and SQL group.

Header format (the first lines of the file, before any prose comment):
    -- reads: blocks, prices              (tables/views from outside the file, or `nothing`)
    -- creates: cohort_live (temp table)  (each name with its kind: temp table, temp view)
    -- inserts: cohort_live               (tables the file adds rows to, when any)
    -- returns: rows (day, cohort, ...)   (the result columns; `name.*` for SELECT name.*)
    -- params: $from_day, $to_day         (bound parameters, or `none`)
A file creates, inserts or returns (at least one). The body is parsed by DuckDB itself
(json_serialize_sql), so table references, CTEs and result columns are the engine's reading of them.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import duckdb
import pytest

from costbasis.engine import db

ROOT = Path(__file__).resolve().parents[1]
SQL = ROOT / "sql"
FILES = sorted(SQL.rglob("*.sql"))
KEYS = ("reads", "creates", "inserts", "returns", "params")
HEADER_LINE = re.compile(r"--\s*(\w+):\s*(.*?)\s*$")
CREATE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(TEMP|TEMPORARY)?\s*(TABLE|VIEW)\s+(\w+)\s*(\(|AS\b)",
                    re.I | re.S)
INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\s+", re.I)
# The loaders and the position of the SQL name among their arguments.
LOADERS = {"sql_text": 0, "_q": 0, "run": 1}


def parse_header(text: str) -> dict[str, str]:
    """The `-- key: value` lines at the top of a file, up to the first line that is not one."""
    header: dict[str, str] = {}
    for line in text.splitlines():
        m = HEADER_LINE.fullmatch(line)
        if not m or m.group(1) not in KEYS:
            break
        assert m.group(1) not in header, f"{m.group(1)} given twice"
        header[m.group(1)] = m.group(2)
    return header


def strip_comments(sql: str, strings: bool = False) -> str:
    """SQL without `--` comments (and without string literals when `strings`)."""
    return re.sub(r"('(?:[^']|'')*')|--[^\n]*", lambda m: "''" if (m.group(1) and strings) else (m.group(1) or ""), sql)


def statements(sql: str) -> list[str]:
    return [s for s in (p.strip() for p in strip_comments(sql).split(";")) if s]


def split_list(value: str) -> list[str]:
    return [] if value in ("nothing", "none") else [v.strip() for v in value.split(",") if v.strip()]


def serialize(select: str, con: duckdb.DuckDBPyConnection) -> dict:
    out = json.loads(con.execute("SELECT json_serialize_sql($q)", {"q": select}).fetchall()[0][0])
    assert not out["error"], f"DuckDB cannot parse: {out.get('error_message')}"
    return out["statements"][0]["node"]


def walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def analyse(sql: str) -> dict:
    """What the body does, as DuckDB parses it: tables read (neither CTE nor created here), tables
    created (name -> kind), tables inserted into, result columns of a final SELECT, parameters."""
    con = duckdb.connect()
    tables, ctes, created, inserts, columns = set(), set(), {}, set(), None
    for stmt in statements(sql):
        if m := CREATE.match(stmt):
            created[m.group(3)] = ("temp " if m.group(1) else "") + m.group(2).lower()
            if m.group(4) == "(":  # column definitions, no query
                continue
            stmt = stmt[m.end():]
        elif m := INSERT.match(stmt):
            inserts.add(m.group(1))
            stmt = stmt[m.end():]
        node = serialize(stmt, con)
        for n in walk(node):
            if n.get("type") == "BASE_TABLE":
                tables.add(n["table_name"])
            if isinstance(n.get("cte_map"), dict):
                ctes.update(e["key"] for e in n["cte_map"].get("map", []))
        if not m:  # a bare SELECT: its rows are the result
            while node["type"] == "SET_OPERATION_NODE":   # DuckDB 1.x: left/right; 2.x: children
                node = node.get("left") or node["children"][0]
            columns = []
            for e in node["select_list"]:
                if e["class"] == "STAR":
                    columns.append((e.get("relation_name") or "") + ".*")
                else:
                    columns.append(e["alias"] or e["column_names"][-1])
    params = set(re.findall(r"\$(\w+)", strip_comments(sql, strings=True)))
    return {"reads": tables - ctes - set(created), "creates": created, "inserts": inserts,
            "returns": columns, "params": params}


def body(text: str) -> str:
    """The SQL after the structured header (prose comments included)."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[len(parse_header(text)):])


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SQL)) for p in FILES])
def test_header_matches_body(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = parse_header(text)
    assert "reads" in header and "params" in header, f"{path.name}: header needs reads: and params:"
    assert {"creates", "inserts", "returns"} & set(header), f"{path.name}: header needs creates:, inserts: or returns:"
    found = analyse(body(text))

    assert set(split_list(header["reads"])) == found["reads"], f"{path.name}: reads"

    declared = {}
    for item in split_list(header.get("creates", "")):
        m = re.fullmatch(r"(\w+) \((temp table|temp view|table|view)\)", item)
        assert m, f"{path.name}: creates entry {item!r} is not `name (kind)`"
        declared[m.group(1)] = m.group(2)
    assert declared == found["creates"], f"{path.name}: creates"

    assert set(split_list(header.get("inserts", ""))) == found["inserts"], f"{path.name}: inserts"

    if "returns" in header:
        m = re.fullmatch(r"rows \((.*)\)", header["returns"])
        assert m, f"{path.name}: returns is not `rows (col, ...)`"
        assert split_list(m.group(1)) == found["returns"], f"{path.name}: returns (in order)"
    else:
        assert found["returns"] is None, f"{path.name}: returns rows but the header does not say so"

    assert {p.lstrip("$") for p in split_list(header["params"])} == found["params"], f"{path.name}: params"
    assert all(p.startswith("$") for p in split_list(header["params"])), f"{path.name}: params are written $name"


def test_files_named_in_comments_exist() -> None:
    """Comments point to other SQL files by name; those files exist (by name, in any group)."""
    names = {p.stem for p in FILES}
    dead = []
    for path in FILES + sorted(SQL.rglob("*.md")):
        for ref in re.findall(r"([a-z0-9_]+)\.sql\b", path.read_text(encoding="utf-8")):
            if ref not in names:
                dead.append(f"{path.relative_to(ROOT)} -> {ref}.sql")
    assert not dead, dead


def loaded_names() -> dict[str, list[str]]:
    """SQL names the code passes as literals to sql_text(name), _q(name) and run(con, name, ...)."""
    found: dict[str, list[str]] = {}
    for py in sorted((ROOT / "costbasis").rglob("*.py")):
        for call in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if not isinstance(call, ast.Call):
                continue
            fn = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
            pos = LOADERS.get(fn)
            if pos is None or len(call.args) <= pos:
                continue
            arg = call.args[pos]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and re.fullmatch(r"\w+", arg.value):
                found.setdefault(arg.value, []).append(f"{py.relative_to(ROOT)}:{call.lineno}")
    return found


def test_every_file_is_used_and_every_loaded_name_exists() -> None:
    names = {p.stem for p in FILES}
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "costbasis").rglob("*.py"))
    unused = sorted(n for n in names if not re.search(rf"[\"']{n}[\"']", code))
    assert not unused, f"SQL files no module loads: {unused}"
    loaded = loaded_names()
    assert len(loaded) >= 30  # the scan sees the loaders (guards against a silently empty scan)
    missing = {n: where for n, where in loaded.items() if n not in names}
    assert not missing, f"the code loads SQL files that do not exist: {missing}"


def test_names_are_unique_and_the_loader_finds_every_file() -> None:
    stems = [p.stem for p in FILES]
    assert len(stems) == len(set(stems)), sorted(s for s in stems if stems.count(s) > 1)
    assert set(db.sql_files()) == set(stems)
    for p in FILES:
        assert db.sql_text(p.stem) == p.read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="no_such_file"):
        db.sql_text("no_such_file")


def test_pyproject_ships_every_package_and_sql_group() -> None:
    """pyproject.toml lists the packages (a package search cannot map sql/ to costbasis.sql): a new
    package or SQL group folder missing from the list would be left out of the wheel."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert conf["package-dir"] == {"costbasis.sql": "sql"}
    code = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "costbasis").rglob("__init__.py")}
    groups = {"costbasis.sql." + ".".join(f.parent.relative_to(SQL).parts) for f in FILES if f.parent != SQL}
    listed, wanted = set(conf["packages"]), code | {"costbasis.sql"} | groups
    assert listed == wanted, (f"pyproject.toml [tool.setuptools] packages: add {sorted(wanted - listed)}, "
                              f"remove {sorted(listed - wanted)}")
