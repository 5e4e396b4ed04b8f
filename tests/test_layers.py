"""Issue 11: every import arrow points down (cli/charts/server -> engine -> store/sources), and no
command, chart or endpoint knows which chain family it serves. Read from the code (every `import`,
lazy ones inside functions included), not from a hand-drawn picture that can drift."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "costbasis"


def _is_module(dotted: str) -> bool:
    p = PKG.parent.joinpath(*dotted.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def _imports() -> dict[str, set[str]]:
    """module -> the costbasis modules it imports (`from a import b` counts a and a.b)."""
    out: dict[str, set[str]] = {}
    for py in PKG.rglob("*.py"):
        parts = list(py.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mod, got = ".".join(parts), set()
        for n in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Import):
                got |= {a.name for a in n.names}
            elif isinstance(n, ast.ImportFrom) and (n.module or n.level):
                base = parts[: len(parts) - n.level + (py.name == "__init__.py")] if n.level else []
                frm = ".".join(base + ([n.module] if n.module else []))
                subs = {f"{frm}.{a.name}" for a in n.names if _is_module(f"{frm}.{a.name}")}
                # `from pkg import module` imports the module; `from mod import name` the module mod
                got |= subs if subs else {frm}
        out[mod] = {g for g in got if g.startswith("costbasis.")}
    return out


IMPORTS = _imports()


def _under(mod: str, *packages: str) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in packages)


def _violations(importers: tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()):
    return sorted(f"{m} imports {t}" for m, ts in IMPORTS.items() if _under(m, *importers)
                  for t in ts if _under(t, *forbidden) and not _under(t, *allowed))


OUTPUT = ("costbasis.cli", "costbasis.charts", "costbasis.server", "costbasis.brief", "costbasis.demo",
          "costbasis.follow")
SOURCES = ("costbasis.bitcoin", "costbasis.evm", "costbasis.prices", "costbasis.regtest")
ENGINE = ("costbasis.engine", "costbasis.flows", "costbasis.bands")
FAMILIES = ("costbasis.engine.bitcoin", "costbasis.engine.evm")

RULES = {
    "the store imports nothing built on it": (("costbasis.store",), ENGINE + OUTPUT + SOURCES + (
        "costbasis.labels", "costbasis.context"), ()),
    "sources import neither the engine nor the front ends": (SOURCES, ENGINE + OUTPUT + (
        "costbasis.labels", "costbasis.context"), ()),
    "labels sit below flows": (("costbasis.labels",), ("costbasis.flows", "costbasis.bands") + OUTPUT, ()),
    "the engine never imports a front end": (ENGINE, OUTPUT + ("costbasis.context",), ()),
    "the Bitcoin engine does not import the EVM one": (("costbasis.engine.bitcoin",), ("costbasis.engine.evm",), ()),
    "the EVM engine does not import the Bitcoin one": (("costbasis.engine.evm",), ("costbasis.engine.bitcoin",), ()),
    "front ends, bands and context do not know the family (they go through engine.api / engine.session)": (
        OUTPUT + ("costbasis.bands", "costbasis.context"), FAMILIES + ("costbasis.flows.evm_flows",), ()),
    "Spark is reached through its hooks and settings only": (
        tuple(m for m in ("costbasis.engine.bitcoin", "costbasis.flows", "costbasis.labels", "costbasis.cli")),
        ("costbasis.engine.spark",), ("costbasis.engine.spark.hooks", "costbasis.engine.spark.settings")),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_every_arrow_points_down(rule):
    importers, forbidden, allowed = RULES[rule]
    assert _violations(importers, forbidden, allowed) == []


def test_the_rules_see_the_imports():
    """The reader finds lazy imports inside functions and `from . import x` forms, so a rule that
    passes does so because nothing breaks it, not because nothing was read."""
    assert "costbasis.engine.api" in IMPORTS["costbasis.cli.cohorts"]           # imported inside the command
    assert "costbasis.engine.bitcoin.cohorts" in IMPORTS["costbasis.engine.api"]
    assert "costbasis.regtest.scripts" in IMPORTS["costbasis.regtest.wallet"]   # from . import scripts
    assert len(IMPORTS) > 150
