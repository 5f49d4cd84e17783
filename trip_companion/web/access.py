"""One access rule per route, declared next to it, and enforced before every request.

A route with no rule is refused with a 500, so a forgotten check fails closed; the route
matrix test walks every rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from trip_companion.models import Role

F = TypeVar("F", bound=Callable)
PUBLIC = frozenset({"public"})
LEADERSHIP = frozenset({Role.HEADTEACHER, Role.SENIOR_LEADER})


def allow(*roles: Role) -> Callable[[F], F]:
    """Let signed-in users with one of ``roles`` use the decorated view."""
    def mark(view: F) -> F:
        view.access = frozenset(roles)
        return view
    return mark


def public(view: F) -> F:
    """Let anyone, signed in or not, use the decorated view."""
    view.access = PUBLIC
    return view


signed_in = allow(*Role)


def rule_for(endpoint: str) -> frozenset | None:
    """The declared rule of ``endpoint`` (static files are public), or None if it has none."""
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def init_app(app: Flask) -> None:
    app.before_request(enforce)


def enforce():
    """Refuse the request unless the route's rule lets this user in."""
    if request.endpoint is None:
        return None  # no route: the 404 handler answers
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("route %s has no access rule", request.endpoint)
        abort(500)
    if rule is PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/") or request.headers.get("HX-Request"):
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in rule:
        abort(403)
    return None
