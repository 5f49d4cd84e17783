"""Security by default: CSRF, rate limits, strict headers, cookies Secure over HTTPS."""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()
compress = Compress()
# Compress what phones download on 3G, but never HTML or JSON: those carry CSRF tokens and
# user input, the recipe for BREACH.
COMPRESSED = ["text/css", "text/javascript", "application/javascript",
              "application/manifest+json", "application/atom+xml"]
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# No inline script or style anywhere; htmx is configured (meta htmx-config) to need neither.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app: Flask) -> None:
    if app.config["TRUSTED_PROXIES"]:
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.session_interface = SessionInterface()
    app.config.setdefault("SESSION_COOKIE_SECURE", False)
    csrf.init_app(app)
    limiter.init_app(app)
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    compress.init_app(app)
    app.after_request(buffer_static)  # registered after Compress, so it runs before it
    app.after_request(add_headers)


def buffer_static(response):
    """Read small static text files into memory so they are compressed as a whole.

    (Flask-Compress's streaming path would leave the file open; our assets are < 50 KB.)
    """
    if response.direct_passthrough and response.mimetype in COMPRESSED:
        response.direct_passthrough = False
        response.get_data()  # closing the file is deferred to response.close()
    return response


def add_headers(response):
    """Add the security headers every response carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response
