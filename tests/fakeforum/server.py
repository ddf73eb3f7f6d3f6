"""A ForumMagnum GraphQL endpoint on 127.0.0.1: the real schema (graphql-core), the real listing
rules (views.py), Apollo Server's status codes and error shapes, and the edge's failures on cue.

Error shapes follow shared/reference/forummagnum-api.md §4.4: a resolver error is HTTP 200 with
`errors` and `data: {"posts": null}`; a query that does not parse or validate is HTTP 400 with
`errors` and no `data`. What is not GraphQL comes back as the edge sends it (§6): a 403 HTML page,
a 429 "Vercel Security Checkpoint" page with `x-vercel-mitigated: challenge`, plain-text 5xx, a
hang, or a body cut short.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from graphql import GraphQLError, execute, parse, validate

from .schema import build
from .views import FakePost, listed, oldest_first, select

FAULTS = (
    "500",  # plain-text FUNCTION_INVOCATION_FAILED, as Vercel sends it
    "503",  # with Retry-After: 1
    "429",  # a rate limit with Retry-After: 1, not the bot wall
    "checkpoint",  # 429 + x-vercel-mitigated: challenge + the Security Checkpoint page
    "403",  # an HTML "Forbidden" page, as a WAF sends for some User-Agents
    "html",  # HTTP 200 with an HTML page where JSON was expected (a captive portal, a CDN)
    "hang",  # never answers
    "graphql-error",  # a resolver error: HTTP 200, errors, data.posts null
    "truncate",  # a JSON body cut off half way, the connection closed
)
VERCEL_RESPONSE_LIMIT = (
    4_500_000  # bytes: a bigger answer is a 500 FUNCTION_RESPONSE_PAYLOAD_TOO_LARGE
)

CHECKPOINT_PAGE = (
    "<!DOCTYPE html><html><head><title>Vercel Security Checkpoint</title></head>"
    "<body><p>We're verifying your browser.</p></body></html>"
)
FORBIDDEN_PAGE = "<html><head><title>403 Forbidden</title></head><body>Forbidden</body></html>"


@dataclass(frozen=True)
class Request:
    """One request as the fake received it."""

    at: float  # time.monotonic()
    headers: dict[str, str]
    body: Any  # the decoded JSON, or None
    fault: str | None


class FakeForum:
    """Serve `posts` over ForumMagnum's GraphQL API. Tests add posts, edit them, and queue faults."""

    def __init__(
        self,
        posts: Iterable[FakePost] = (),
        *,
        page_host: str = "https://www.lesswrong.com",
        response_limit: int = VERCEL_RESPONSE_LIMIT,
        static: bool = False,
    ) -> None:
        self.posts: list[FakePost] = list(posts)
        # An archive that will not change (a benchmark's) keeps its "old" order sorted once.
        self._old_order = oldest_first(self.posts) if static else None
        self.page_host = page_host  # where pageUrl points (the site, or a bot mirror)
        self.response_limit = response_limit
        self.faults: list[str] = []  # consumed one per request, in order
        self.error_message = "app.operation_not_allowed"  # what "graphql-error" says
        self.delay = 0.0  # seconds before every answer
        self.requests: list[Request] = []
        self.schema = build()
        self.schema.query_type.fields["posts"].resolve = self._resolve_posts
        self.schema.query_type.fields["post"].resolve = self._resolve_post
        self._runner: web.AppRunner | None = None
        self.base = ""

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeForum:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/graphql", self._handle)
        app.router.add_route("*", "/graphql/", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeForum:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def source(self) -> str:
        """The `archive-bot ingest` source naming this forum."""
        return f"forum:{self.base}"

    # --- what tests do ---------------------------------------------------------------------------

    def post(self, post_id: str) -> FakePost:
        return next(post for post in self.posts if post._id == post_id)

    def listings(self) -> list[dict[str, Any]]:
        """The `terms` of every posts query received (the `input` form), in order."""
        found = []
        for request in self.requests:
            bodies = request.body if isinstance(request.body, list) else [request.body]
            for body in bodies:
                if isinstance(body, dict):
                    terms = ((body.get("variables") or {}).get("input") or {}).get("terms")
                    if terms is not None:
                        found.append(terms)
        return found

    # --- HTTP ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fault = self.faults.pop(0) if self.faults else None
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.requests.append(Request(time.monotonic(), dict(request.headers), body, fault))
        if self.delay:
            await asyncio.sleep(self.delay)
        if fault is not None:
            answer = await self._fault(request, fault)
            if answer is not None:
                return answer
        if request.method != "POST":
            return _errors(400, "GraphQL operations must be POST requests here", "BAD_REQUEST")
        if not raw or body is None:
            return _errors(
                400, "POST body missing, invalid JSON, or no 'query' found", "BAD_REQUEST"
            )
        if isinstance(body, list):  # allowBatchedHttpRequests: true
            answers = [await self._operation(one, fault) for one in body]
            return self._json(200, [payload for _, payload in answers])
        status, payload = await self._operation(body, fault)
        return self._json(status, payload)

    def _json(self, status: int, payload: Any) -> web.Response:
        text = json.dumps(payload, ensure_ascii=False)
        if len(text.encode()) > self.response_limit:
            return web.Response(
                status=500,
                text="An error occurred with your deployment\n\nFUNCTION_RESPONSE_PAYLOAD_TOO_LARGE",
                content_type="text/plain",
            )
        return web.Response(
            status=status, text=text, content_type="application/json", charset="utf-8"
        )

    async def _fault(self, request: web.Request, fault: str) -> web.StreamResponse | None:
        if fault == "500":
            return web.Response(
                status=500,
                text="An error occurred with your deployment\n\nFUNCTION_INVOCATION_FAILED",
                content_type="text/plain",
            )
        if fault == "503":
            return web.Response(
                status=503, text="Service Unavailable", headers={"Retry-After": "1"}
            )
        if fault == "429":
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
        if fault == "checkpoint":
            return web.Response(
                status=429,
                text=CHECKPOINT_PAGE,
                content_type="text/html",
                headers={"x-vercel-mitigated": "challenge", "x-vercel-id": "fra1::x"},
            )
        if fault == "403":
            return web.Response(status=403, text=FORBIDDEN_PAGE, content_type="text/html")
        if fault == "html":
            return web.Response(
                status=200,
                text="<!doctype html><html><body>Log in</body></html>",
                content_type="text/html",
            )
        if fault == "hang":
            await asyncio.sleep(3600)
        if fault == "truncate":
            _, payload = await self._operation(await request.json(), None)
            data = json.dumps(payload).encode()
            response = web.StreamResponse(status=200)
            response.content_type = "application/json"
            response.content_length = len(data)
            await response.prepare(request)
            await response.write(data[: len(data) // 2])
            request.transport.close()
            return response
        return None  # graphql-error: answered by the resolver

    # --- GraphQL ---------------------------------------------------------------------------------

    async def _operation(self, body: Any, fault: str | None) -> tuple[int, dict[str, Any]]:
        """Apollo Server's answer to one operation: (HTTP status, JSON body)."""
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 400, _error_body("POST body missing, invalid JSON, or no 'query' found")
        try:
            document = parse(body["query"])
        except GraphQLError as error:
            return 400, _error_body(error.message, "GRAPHQL_PARSE_FAILED")
        problems = validate(self.schema, document)
        if problems:
            return 400, {"errors": [_formatted(p, "GRAPHQL_VALIDATION_FAILED") for p in problems]}
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return 400, _error_body("Variables must be an object", "BAD_REQUEST")
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=body.get("operationName"),
            context_value={"fault": fault},
        )
        if asyncio.iscoroutine(result):
            result = await result
        if result.errors and result.data is None:  # variables that do not fit their types
            return 400, {"errors": [_formatted(e, "BAD_USER_INPUT") for e in result.errors]}
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [_formatted(e, "INTERNAL_SERVER_ERROR") for e in result.errors]
        payload["data"] = result.data
        return 200, payload

    def _resolve_posts(
        self,
        _root: Any,
        info: Any,
        input: dict[str, Any] | None = None,
        selector: dict[str, Any] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        enableTotal: bool | None = None,
    ) -> dict[str, Any]:
        if info.context.get("fault") == "graphql-error":
            raise GraphQLError(self.error_message)
        if input is not None:  # input.terms wins; top-level limit/offset are ignored
            terms = dict((input or {}).get("terms") or {})
        elif selector:
            [(view, view_terms)] = list(selector.items())[:1]
            terms = {"view": view, **(view_terms or {}), "limit": limit, "offset": offset}
        else:
            terms = {"limit": limit, "offset": offset}
        posts, total = select(self.posts, terms, old_order=self._old_order)
        return {
            "results": [self._output(post) for post in posts],
            "totalCount": total if enableTotal else None,
        }

    def _resolve_post(self, _root: Any, _info: Any, **arguments: Any) -> dict[str, Any]:
        chosen = (arguments.get("input") or {}).get("selector") or arguments.get("selector") or {}
        wanted = chosen.get("_id") or chosen.get("documentId")
        for post in self.posts:
            if post._id == wanted and listed(post) and not post.onlyVisibleToLoggedIn:
                return {"result": self._output(post)}
        if arguments.get("allowNull"):
            return {"result": None}
        raise GraphQLError("app.missing_document")

    def _output(self, post: FakePost) -> dict[str, Any]:
        """The post as the API shows it to an anonymous client (draft and createdAt hidden)."""
        kind = "events" if post.isEvent else "posts"
        path = f"/{kind}/{post._id}/{post.slug}"
        return {
            "_id": post._id,
            "title": post.title,
            "slug": post.slug,
            "pageUrl": self.page_host + path,
            "pageUrlRelative": path,
            "linkUrl": post.url,
            "postedAt": post.postedAt,
            "modifiedAt": post.modifiedAt,
            "createdAt": None,
            "draft": None,
            "baseScore": post.baseScore,
            "score": post.baseScore / 10,
            "voteCount": post.voteCount,
            "commentCount": post.commentCount,
            "af": post.af,
            "question": post.question,
            "isEvent": post.isEvent,
            "url": post.url,
            "postCategory": "question" if post.question else "linkpost" if post.url else "post",
            "userId": (post.user or {}).get("_id"),
            "author": (post.user or {}).get("displayName"),
            "user": _user(post.user),
            "coauthors": [_user(user) for user in post.coauthors],
            "tags": [
                {"_id": f"t{n}", "name": name, "slug": name.lower()}
                for n, name in enumerate(post.tags)
            ],
            "contents": None if post.contents_missing else (lambda _info: _revision(post)),
            "htmlBody": None if post.contents_missing else (lambda _info: post.body()),
            "unlisted": post.unlisted,
            "shortform": post.shortform,
            "status": post.status,
            "rejected": post.rejected,
            "hideAuthor": False,
        }


def _user(user: dict[str, Any] | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"slug": user.get("username"), **user}


def _revision(post: FakePost) -> dict[str, Any]:
    html = post.body()
    return {"_id": f"r{post._id}", "html": html, "wordCount": len(html.split()), "version": "1.0.0"}


def _formatted(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted = error.formatted
    formatted["extensions"] = {
        **(formatted.get("extensions") or {}),
        "code": code,
        "stacktrace": [f"GraphQLError: {error.message}", "    at resolve (fake)"],
    }
    return formatted


def _error_body(message: str, code: str = "BAD_REQUEST") -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _errors(status: int, message: str, code: str) -> web.Response:
    return web.json_response(_error_body(message, code), status=status)
