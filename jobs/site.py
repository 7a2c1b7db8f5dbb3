"""The embedded website, served read-only on one machine: ``python -m jobs.site [--port 8080]``.

The site channel writes static files under ``[site] root`` (default ``data/site``); this serves that folder on
``127.0.0.1`` at ``[site] port`` (default 8080) with the standard library's HTTP server: GET and HEAD only (any
other method is 501), no directory listings, ``nosniff``. Fine for one office machine; in production put nginx
or Apache in front of the same folder (README).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sopkit.config import ROOT, ConfigError, load

DEFAULT_PORT = 8080


class ReadOnlyHandler(SimpleHTTPRequestHandler):
    """Files only: a folder without ``index.html`` is 404, not a listing of its files."""

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(404, "Not found")
        return None

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        sys.stdout.write(f"{self.address_string()} {format % args}\n")
        sys.stdout.flush()


def site_root(section: dict[str, Any]) -> Path:
    root = Path(str(section.get("root") or ROOT / "data" / "site"))
    return root if root.is_absolute() else ROOT / root


def site_port(section: dict[str, Any]) -> int:
    try:
        port = int(section.get("port", DEFAULT_PORT))
    except (TypeError, ValueError):
        raise ConfigError("[site] port must be a whole number") from None
    if not 0 < port < 65536:
        raise ConfigError("[site] port must be between 1 and 65535")
    return port


def serve(root: Path, port: int, address: str = "127.0.0.1") -> ThreadingHTTPServer:
    root.mkdir(parents=True, exist_ok=True)
    return ThreadingHTTPServer((address, port), partial(ReadOnlyHandler, directory=str(root)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.site", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, help=f"port (default [site] port or {DEFAULT_PORT})")
    parser.add_argument("--root", help="folder to serve (default [site] root or data/site)")
    args = parser.parse_args(argv)
    try:
        section = load().section("site")
        root = Path(args.root) if args.root else site_root(section)
        port = args.port or site_port(section)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    server = serve(root, port)
    print(f"website {root} on http://127.0.0.1:{port}/", flush=True)

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()  # shutdown() waits for serve_forever

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
