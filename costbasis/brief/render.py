"""The brief as text, Markdown or JSON (every figure a field, null when missing)."""

from __future__ import annotations

import json
import math

FORMATS = ("text", "json", "markdown")


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def render(brief: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(_clean(brief), indent=1) + "\n"
    title = f"Market brief {brief['asof']} ({brief['chain']})"
    if fmt == "markdown":
        lines = [f"## {title}", ""]
        lines += [f"- {s['text']} _[{s['source']}]_" for s in brief["sentences"]]
        return "\n".join(lines) + "\n"
    lines = [title]
    lines += [f"- {s['text']} [{s['source']}]" for s in brief["sentences"]]
    return "\n".join(lines) + "\n"
