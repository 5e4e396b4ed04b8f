"""The dashboard at `/` (filled in by page.py)."""


def mount(app, srv) -> None:
    from costbasis.server.dashboard.page import mount as _mount
    _mount(app, srv)
