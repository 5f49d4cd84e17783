"""Trip Companion: school trip photos posted safely, within the school's own policy."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, security, blueprints, CLI. Wiring only.

    Flask is imported here, not at module level, so the domain packages (``media``,
    ``policy``, ``publish``) and their command-line tools start without it.
    """
    from flask import Flask

    from trip_companion import config, web
    from trip_companion.cli import register_commands

    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"), static_url_path="/static")
    app.config.from_mapping(config.load(test_config))
    web.init_app(app)
    register_commands(app)
    return app
