"""A feed server on 127.0.0.1 whose answers tests script: content, 304s, failures, slowness."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering
    headers: dict[str, str] = field(default_factory=dict)
    redirect_to: str | None = None
    stream_forever: bool = False  # send a body slowly, never finishing
    size: int | None = None  # stream this many bytes of filler instead of `body`, never held whole
    declare_size: bool = True  # with `size`: send Content-Length (False: chunked, length unknown)


class FeedServer:
    """Serve scripted routes; record every request (path and headers)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("GET", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == "/" + path.lstrip("/"))

    def publish(self, path: str, body: bytes) -> Route:
        """Serve `body` at `path` with an ETag of its content: 304 until the content changes."""
        tag = hashlib.blake2b(body, digest_size=8).hexdigest()
        route = Route(body=body, etag=f'"{tag}"')
        self.routes["/" + path.lstrip("/")] = route
        return route

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.headers)))
        route = self.routes.get(request.path_qs) or self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="no such feed")
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.redirect_to is not None:
            raise web.HTTPFound(route.redirect_to)
        if route.etag and request.headers.get("If-None-Match") == route.etag:
            return web.Response(status=304, headers={"ETag": route.etag})
        # RFC 9110 13.1.3: If-Modified-Since counts only when the request has no If-None-Match.
        if (
            route.last_modified
            and "If-None-Match" not in request.headers
            and request.headers.get("If-Modified-Since") == route.last_modified
        ):
            return web.Response(status=304)
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.size is not None:
            return await self._stream_filler(request, route, headers)
        if route.stream_forever:
            response = web.StreamResponse(status=200, headers=headers)
            response.content_type = route.content_type
            await response.prepare(request)
            while True:
                await response.write(b"<!-- still coming -->")
                await asyncio.sleep(0.05)
        return web.Response(
            status=route.status, body=route.body, content_type=route.content_type, headers=headers
        )

    async def _stream_filler(
        self, request: web.Request, route: Route, headers: dict[str, str]
    ) -> web.StreamResponse:
        """A huge body written chunk by chunk until done or the client hangs up."""
        response = web.StreamResponse(status=route.status, headers=headers)
        response.content_type = route.content_type
        if route.declare_size:
            response.content_length = route.size
        await response.prepare(request)
        chunk = b"<!-- filler -->" * 4096
        sent = 0
        try:
            while sent < route.size:
                piece = chunk[: route.size - sent]
                await response.write(piece)
                sent += len(piece)
        except (ConnectionResetError, ConnectionError):
            pass  # the client gave up, as it should
        return response
