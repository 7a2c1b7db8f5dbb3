"""Loopback fakes of the social APIs: a threaded stdlib HTTP server on 127.0.0.1, a request log and faults.

Shared machinery only; the API shapes live in ``graph_api`` and ``telegram_api``. Each request is parsed
(query, urlencoded or multipart form, JSON), recorded, then either answered by the fake's ``handle`` or hit by the
next matching injected fault:

* ``respond`` faults answer with a canned error and apply nothing (expired token, rate limit, a 500 that made
  nothing);
* ``after`` applies the request, then answers with the canned error anyway: Graph's "An unexpected error has
  occurred" (code 2, HTTP 500) after it made the photo (koala #699), a Bot API 5xx after it sent the message;
* ``slow`` applies the request, then waits before answering (the client's read timeout fires first);
* ``drop_after`` applies the request, then closes the connection without a word;
* ``drop_before`` closes the connection without applying anything (indistinguishable for the client);
* ``late`` holds the request ``delay`` seconds, then applies it whether or not the client is still there (a
  server that applies a request long after the client gave up: issue 17), and answers if anyone listens.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    files: dict[str, Upload]
    json: Any
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        """A parameter wherever the client put it (query, form, JSON), as the real APIs accept."""
        if name in self.form:
            return self.form[name]
        if isinstance(self.json, dict) and name in self.json:
            return str(self.json[name])
        return self.query.get(name)


@dataclass
class Fault:
    kind: str  # "respond" | "after" | "slow" | "drop_after" | "drop_before" | "late"
    path_suffix: str = ""  # only requests whose path ends with this ("" = any)
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, Upload]]:
    """Byte-exact multipart/form-data parsing (the stdlib email parser may touch line endings in binaries)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError("multipart without boundary")
    delimiter = b"--" + match.group(1).encode()
    form: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, content = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if not name:
            raise ValueError("multipart part without name")
        if filename:
            files[name.group(1)] = Upload(
                filename.group(1), headers.get("content-type", "application/octet-stream"), content
            )
        else:
            form[name.group(1)] = content.decode("utf-8")
    return form, files


class LoopbackServer:
    """Base fake: subclass and implement ``handle(request) -> Reply`` (called under ``self.lock``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=type(self).__name__, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, fault: Fault, times: int = 1) -> None:
        with self.lock:
            self.faults.extend([fault] * times)

    def handle(self, request: Recorded) -> Reply:
        raise NotImplementedError

    def decorate(self, request: Recorded, reply: Reply) -> Reply:
        """Every reply, faults included, passes here (under ``self.lock``): where a fake adds headers it sends on
        every answer (Graph's usage headers)."""
        return reply

    def requests_to(self, path_suffix: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    def _take_fault(self, path: str) -> Fault | None:
        for i, fault in enumerate(self.faults):
            if path.endswith(fault.path_suffix):
                return self.faults.pop(i)
        return None

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        ctype = h.headers.get("Content-Type", "")
        form: dict[str, str] = {}
        files: dict[str, Upload] = {}
        body_json: Any = None
        try:
            if ctype.startswith("multipart/form-data"):
                form, files = parse_multipart(raw, ctype)
            elif ctype.startswith("application/x-www-form-urlencoded"):
                form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            elif ctype.startswith("application/json"):
                body_json = json.loads(raw or b"null")
        except ValueError:
            self._write(h, Reply(400, {"error": "unparseable body"}))
            return
        request = Recorded(
            h.command,
            split.path,
            dict(parse_qsl(split.query, keep_blank_values=True)),
            form,
            files,
            body_json,
            {k.lower(): v for k, v in h.headers.items()},
        )
        with self.lock:
            self.requests.append(request)
            fault = self._take_fault(split.path)
        if fault and fault.kind == "late":
            time.sleep(fault.delay)  # the client's deadline passes meanwhile; the request is applied all the same
        with self.lock:
            if fault and fault.kind == "respond":
                reply = Reply(fault.status, fault.body, fault.headers)
            elif fault and fault.kind == "drop_before":
                h.close_connection = True
                return
            else:
                reply = self.handle(request)
                if fault and fault.kind == "after":
                    reply = Reply(fault.status, fault.body, fault.headers)
            reply = self.decorate(request, reply)
        if fault and fault.kind == "drop_after":
            h.close_connection = True
            return
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        self._write(h, reply)

    @staticmethod
    def _write(h: BaseHTTPRequestHandler, reply: Reply) -> None:
        data = json.dumps(reply.body).encode() if not isinstance(reply.body, bytes) else reply.body
        try:
            h.send_response(reply.status)
            h.send_header("Content-Type", "application/json; charset=UTF-8")
            h.send_header("Content-Length", str(len(data)))
            for key, value in reply.headers.items():
                h.send_header(key, value)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (read timeout): that is the point of a slow fault
