"""A threaded werkzeug server on 127.0.0.1 with fault injection, the base of every fake.

Each fake maps URL rules to endpoint names; tests inject faults by endpoint name:
``fail`` answers with a canned error instead of acting, ``slow`` sleeps (before or
after acting) so the client times out, which is how "the post was created but the
answer never arrived" is reproduced.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass


@dataclass
class Fault:
    """One injected misbehaviour for an endpoint, used ``times`` times."""

    status: int | None = None  # answer with this instead of acting
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after: bool = True  # with delay: act first, then stall the answer
    times: int = 1


@dataclass
class Recorded:
    """A request as the fake saw it."""

    endpoint: str
    method: str
    path: str
    headers: dict[str, str]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  ) -> Response:
    """A JSON response."""
    return Response(json.dumps(body), status=status, headers=headers or {},
                    content_type="application/json")


class FakeServer:
    """Base class: subclasses set ``rules`` and implement ``on_<endpoint>`` methods."""

    rules: tuple[Rule, ...] = ()

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[Recorded] = []
        self._map = Map([rule.empty() for rule in self.rules])  # a Rule binds to one Map
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True,
                                   request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, endpoint: str, status: int, body: Any = None,
             headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``endpoint`` with this error, not acting."""
        self._add(endpoint, Fault(status, body, headers or {}, times=times))

    def slow(self, endpoint: str, seconds: float, *, after: bool = True,
             times: int = 1) -> None:
        """Stall ``endpoint``: after acting (the client never hears) or before acting."""
        self._add(endpoint, Fault(delay=seconds, after=after, times=times))

    def calls(self, endpoint: str) -> list[Recorded]:
        """Requests seen for ``endpoint``, in order."""
        with self.lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def _add(self, endpoint: str, fault: Fault) -> None:
        with self.lock:
            self.faults.setdefault(endpoint, []).append(fault)

    def _take(self, endpoint: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(endpoint, [])
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            endpoint, args = self._map.bind_to_environ(environ).match()
            response = self._dispatch(request, endpoint, args)
        except NotFound:
            response = json_response({"error": "not found"}, 404)
        except HTTPException as exc:
            response = exc.get_response()
        finally:
            request.close()  # uploaded files are spooled to temporary files
        return response(environ, start_response)

    def _dispatch(self, request: Request, endpoint: str, args: dict[str, Any]) -> Response:
        with self.lock:
            self.requests.append(Recorded(endpoint, request.method, request.path,
                                          dict(request.headers)))
        fault = self._take(endpoint)
        if fault and fault.status is not None:
            return json_response(fault.body, fault.status, fault.headers)
        if fault and not fault.after:
            time.sleep(fault.delay)
        handler: Callable[..., Response] = getattr(self, f"on_{endpoint}")
        response = handler(request, **args)
        if fault and fault.after:
            time.sleep(fault.delay)
        return response
