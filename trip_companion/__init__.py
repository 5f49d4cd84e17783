"""Trip Companion: school trip photos posted safely, within the school's own policy."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask import Flask

# The checkout (templates/, static/ beside the package); a string, so that importing the
# package stays cheap for ``strip`` (pathlib costs it a few milliseconds).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    """Entry point of the ``trip-companion`` console script.

    ``strip`` goes straight to the sanitizer: a folder tool should not wait for Flask.
    Every other command is Flask's CLI group (``trip_companion.cli``).
    """
    if sys.argv[1:2] == ["strip"]:
        from trip_companion.media.cli import run

        run(sys.argv[2:], prog="trip-companion strip")
    from trip_companion.cli import main as flask_cli

    flask_cli()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, security, blueprints, CLI. Wiring only.

    Flask is imported here, not at module level, so the domain packages (``media``,
    ``policy``, ``publish``) and their command-line tools start without it.
    """
    from flask import Flask

    from trip_companion import config, web
    from trip_companion.cli import register_commands

    app = Flask(__name__, template_folder=os.path.join(ROOT, "templates"),
                static_folder=os.path.join(ROOT, "static"), static_url_path="/static")
    app.config.from_mapping(config.load(test_config))
    web.init_app(app)
    register_commands(app)
    return app
