"""The page with the chat widget (``make web``): the article, with an anchor per section and
per passage, and the widget beside it, talking socket.io to the rasa server.

Usage: ``python -m scripts.web_server [--port 8080] [--rasa-url http://127.0.0.1:5005]``.

The article is rendered from ``data/article/`` by the same parser the actions use, once at
start-up, so a quote's source links to the very passage it came from (``#p-<passage id>``).
Only ``web/`` and socket.io's client bundle (installed by ``make install`` from npm) are
served; the Content-Security-Policy allows scripts from this origin only and connections to
the rasa server only.
"""

from __future__ import annotations

import argparse
import html
import mimetypes
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from common.knowledge_base import INTRODUCTION, KnowledgeBase, knowledge_base

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
VENDOR: Dict[str, Path] = {
    "/vendor/socket.io.min.js": ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}


def render_article(kb: KnowledgeBase) -> str:
    """The article as HTML: a <section id="anchor"> per section, a <p id="p-…"> per passage."""
    parts: List[str] = [f"<h1>{html.escape(kb.title)}</h1>"]
    for section in kb.sections:
        parts.append(f'<section id="{html.escape(section.anchor)}">')
        if section.anchor != INTRODUCTION:
            parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        for passage in kb.section_passages(section):
            if passage.title:
                parts.append(f"<h3>{html.escape(passage.title)}</h3>")
            parts.append(f'<p id="p-{html.escape(passage.id)}">{html.escape(passage.body)}</p>')
        parts.append("</section>")
    return "\n".join(parts)


def render_page(kb: KnowledgeBase, rasa_url: str) -> bytes:
    template = (WEB / "index.html").read_text(encoding="utf-8")
    page = template.replace("{{article}}", render_article(kb)).replace("{{rasa_url}}", html.escape(rasa_url))
    return page.encode("utf-8")


def security_headers(rasa_url: str) -> Dict[str, str]:
    parts = urlsplit(rasa_url)
    socket_origins = f"{parts.scheme}://{parts.netloc} {'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src {socket_origins}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


class PageHandler(BaseHTTPRequestHandler):
    """Serves the page, web/'s static files and the vendored socket.io client; nothing else."""

    def __init__(self, *args, page: bytes, headers: Dict[str, str], **kwargs) -> None:
        self.page, self.extra_headers = page, headers
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        found = self._resolve(path)
        if found is None:
            self._send(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8")
            return
        body, content_type = found
        self._send(HTTPStatus.OK, body, content_type)

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def _resolve(self, path: str) -> Optional[Tuple[bytes, str]]:
        if path in ("/", "/index.html"):
            return self.page, "text/html; charset=utf-8"
        file = VENDOR.get(path)
        try:
            if file is None:
                candidate = (WEB / path.lstrip("/")).resolve()
                file = candidate if candidate.is_relative_to(WEB) and candidate.is_file() else None
            if file is None or not file.is_file():
                return None
        except (ValueError, OSError):  # a NUL byte or an over-long name: not a file of ours
            return None
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        return file.read_bytes(), content_type

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # quiet: the terminal is for the URL
        pass


def make_server(host: str, port: int, rasa_url: str) -> ThreadingHTTPServer:
    missing = [str(p) for p in VENDOR.values() if not p.is_file()]
    if missing:
        raise SystemExit(f"Missing {', '.join(missing)}: run `make install` (it runs npm ci)")
    handler = partial(PageHandler, page=render_page(knowledge_base(), rasa_url), headers=security_headers(rasa_url))
    return ThreadingHTTPServer((host, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    args = parser.parse_args()
    server = make_server(args.host, args.port, args.rasa_url)
    print(f"The article with the chat widget: http://{args.host}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
