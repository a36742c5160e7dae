"""The warm standby's entry point (`fairgate warm` starts it): the CLI hands the worker itself and its logging,
so that the worker never imports the CLI."""

from __future__ import annotations


def standby_main() -> None:
    from fairgate.app.cli import app
    from fairgate.app.cli.common import setup_logging
    from fairgate.app.warm import standby

    standby.standby(app, setup_logging)
