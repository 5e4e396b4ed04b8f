"""What CLI tests check again and again: a refusal is one `error:` line (no traceback) with the exit
code costbasis/errors.py gives that kind of mistake; a query's `--format json` rows."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import run_cli


def one_line_error(p: subprocess.CompletedProcess, *words: str, code: int | None = None) -> str:
    """The one `error:` line of a refused call (non-zero exit, or exactly `code`), holding `words`."""
    assert p.returncode != 0, p.stdout
    if code is not None:
        assert p.returncode == code, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def cli_error(cache, *args, code: int | None = None) -> str:
    """Run `costbasis --cache cache *args` and return its one error line."""
    return one_line_error(run_cli(*args, cache=cache), code=code)


def cli_json(cache, *args):
    p = run_cli(*args, "--format", "json", cache=cache)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)
