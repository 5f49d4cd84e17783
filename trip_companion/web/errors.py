"""Error pages with words a teacher can act on; JSON for the API."""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from trip_companion.web.context import render

MESSAGES = {
    400: "Something in that request wasn't right. Go back and try again.",
    401: "Please sign in first.",
    403: "Your account can't open this page. Ask your headteacher if you need it.",
    404: "There's nothing here. The link may be old.",
    405: "That action isn't possible here.",
    413: "That file is too large to upload.",
    429: "Too many attempts. Wait a minute, then try again.",
    500: "Something went wrong on our side. Your photos on this phone are safe; try again.",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)


def csrf_error(exc: CSRFError):
    return _answer(400, "This form has expired. Reload the page and try again.")


def http_error(exc: HTTPException):
    code = exc.code or 500
    return _answer(code, MESSAGES.get(code, exc.description or "Something went wrong."))


def _answer(code: int, message: str):
    if request.path.startswith("/api/"):
        return jsonify(error=message), code
    return render("error.html", "_error.html", status=code, code=code, message=message)
