"""The web layer: thin Flask blueprints over the domain modules."""

from __future__ import annotations

from flask import Flask

from trip_companion.web import (
    access,
    auth,
    capture,
    compose,
    context,
    devices,
    errors,
    esafety,
    events,
    feed,
    home,
    inspect,
    reports,
    security,
    settings,
    shell,
)


def init_app(app: Flask) -> None:
    """Attach database sessions, security, access rules and every blueprint to ``app``."""
    context.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    access.init_app(app)
    devices.init_app(app)
    errors.init_app(app)
    for module in (auth, home, events, capture, compose, devices, inspect, esafety,
                   reports, feed, settings, shell):
        app.register_blueprint(module.bp)
