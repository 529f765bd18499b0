"""The FastAPI app of `scent serve`: the JSON API under /api, the MCP endpoint at /mcp, the web UI at /.

Guards (an ASGI middleware in front of everything, docs/server.md): the Host header must name the address the
server was started on (DNS rebinding), a browser Origin must be that same address, a request body is at most
`max_body` bytes, and every /api and /mcp request but /api/health carries `Authorization: Bearer TOKEN`.
The UI's static files need no token: they hold no data, and the page asks for the token.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse
from starlette.exceptions import HTTPException

import scent
from scent.serve.corpus import (
    BadRequest,
    DocumentView,
    NotFound,
    ReadResult,
    SearchHit,
    SourceList,
    Verification,
)
from scent.serve.http_indexing import INDEX_HELP, UPLOAD_PATH, add_indexing
from scent.serve.indexing import IndexingBusy, IndexingOff, TooLarge
from scent.serve.library import Library
from scent.serve.pages import page_image, source_file
from scent.serve.runs import Busy, Run, RunManager
from scent.tools import MAX_WINDOW

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
OPEN_PATHS = ("/api/health",)
PROTECTED = ("/api", "/mcp")


CSP = ("default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]


def with_security_headers(send: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    """`send` that adds the CSP (frame-ancestors 'none': no page may frame the UI), nosniff and no-referrer to
    every response, as real headers (a `<meta>` CSP cannot say frame-ancestors)."""

    async def sending(message: Any) -> None:
        if message.get("type") == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            message = {**message, "headers": [*message.get("headers", []),
                                              *((k, v) for k, v in SECURITY_HEADERS if k not in present)]}
        await send(message)

    return sending


class Guard:
    """Host, Origin, body size and bearer token, checked before any route runs."""

    def __init__(self, app: ASGIApp, token: str, hosts: set[str], max_body: int, max_upload: int = 0) -> None:
        self.app = app
        self.token = token.encode()
        self.hosts = hosts
        self.origins = {f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")}  # https: via a proxy
        self.max_body = max_body
        self.max_upload = max(max_body, max_upload)  # POST /api/upload: a file, capped by --max-upload-mb

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = with_security_headers(send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope["path"]
        problem = self.check(path, headers)
        if problem is not None:
            status, message = problem
            extra = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
            await JSONResponse({"error": message}, status, headers=extra)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def check(self, path: str, headers: dict[str, str]) -> tuple[int, str] | None:
        if headers.get("host", "") not in self.hosts:
            return 421, "this server answers only to the address it was started on (Host header refused)"
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins:
            return 403, f"cross-origin requests are refused (Origin {origin!r})"
        length = headers.get("content-length")
        cap = self.max_upload if path == UPLOAD_PATH else self.max_body
        if length is not None and (not length.isdigit() or int(length) > cap):
            return 413, f"the request body is larger than {cap} bytes"
        if "transfer-encoding" in headers and length is None:
            return 411, "a request body needs a Content-Length"
        protected = any(path == p or path.startswith(p + "/") for p in PROTECTED)
        if protected and path not in OPEN_PATHS:
            scheme, _, given = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token):
                return 401, "missing or wrong bearer token (Authorization: Bearer TOKEN; see `scent serve` output)"
        return None


IndexParam = Annotated[str, Query(max_length=64, description=INDEX_HELP)]


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000, description="The question to answer or research.")
    mode: Literal["answer", "report"] = Field("answer", description="answer (`scent ask`) | report "
                                              "(`scent research`).")
    index: str = Field("", max_length=64, description=INDEX_HELP)


class VerifyRequest(BaseModel):
    passage_id: str
    index: str = Field("", max_length=64, description=INDEX_HELP)
    quote: str = Field(max_length=20_000)
    claim: str = Field("", max_length=4000)


def sse(run: Run, cancel_on_disconnect: bool, runs: RunManager) -> EventSourceResponse:
    """The run's trace events as server-sent events: `event:` the trace event type, `id:` its seq, `data:` the
    event as JSON; first an `event: run` with the run id (for cancel and history)."""

    async def events() -> AsyncIterator[dict[str, Any]]:
        queue = run.subscribe()
        finished = False
        try:
            yield {"event": "run", "data": json.dumps({"id": run.id, "question": run.question, "mode": run.mode})}
            while True:
                event = await queue.get()
                if event is None:
                    finished = True
                    return
                yield {"event": str(event["type"]), "id": str(event["seq"]),
                       "data": json.dumps(event, ensure_ascii=False, default=str)}
        finally:
            run.unsubscribe(queue)
            if cancel_on_disconnect and not finished:
                runs.cancel(run.id)

    return EventSourceResponse(events(), ping=10, headers={"Cache-Control": "no-store"})


def create_app(library: Library, token: str, hosts: set[str], mcp: Any = None, max_body: int = 1_000_000
               ) -> ASGIApp:
    """The app; `mcp` is an `mcp.server.mcpserver.MCPServer` to mount at /mcp (or None)."""
    mcp_routes: list[Any] = []
    if mcp is not None:
        from mcp.server.transport_security import TransportSecuritySettings

        security = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=sorted(hosts),
                                             allowed_origins=sorted(f"http://{h}" for h in hosts))
        mcp_routes = list(mcp.streamable_http_app(streamable_http_path="/mcp", transport_security=security,
                                                  max_request_body_size=max_body).routes)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if mcp is None:
            yield
            return
        async with mcp.session_manager.run():
            yield

    app = FastAPI(title="scent", version=scent.__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="Search a private corpus and ask cited questions of it. Every /api route but "
                  "/api/health needs `Authorization: Bearer TOKEN`. See docs/server.md.")
    install_errors(app)
    add_api(app, library)
    add_indexing(app, library)
    add_evals(app, library)
    app.router.routes.extend(mcp_routes)
    static = resources.files("scent.serve") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(static / "index.html"), headers={"Cache-Control": "no-store"})

    return Guard(app, token, hosts, max_body, library.indexer.max_upload if library.indexer is not None else 0)


def install_errors(app: FastAPI) -> None:
    def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"error": message}, status, headers=headers)

    # the errors whose message is the whole answer, and their status
    plain: dict[type[Exception], int] = {NotFound: 404, BadRequest: 422, IndexingOff: 403, TooLarge: 413,
                                         IndexingBusy: 409}

    async def said(request: Request, exc: Exception) -> JSONResponse:
        return error(next(status for kind, status in plain.items() if isinstance(exc, kind)), str(exc))

    for kind in plain:
        app.add_exception_handler(kind, said)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        return error(429, str(exc), {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()]
        return error(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), dict(exc.headers or {}))


def add_api(app: FastAPI, library: Library) -> None:
    def agent(index: str) -> RunManager:
        runs = library.runner(index)
        if runs is None:
            raise HTTPException(503, "this server was started without models (--no-agent): search and read only")
        return runs

    @app.get("/api/health", tags=["server"])
    def health() -> dict[str, str]:
        """Liveness and version (no token needed; says nothing about the corpus)."""
        return {"status": "ok", "version": scent.__version__}

    @app.get("/api/indexes", tags=["server"])
    def indexes() -> list[dict[str, Any]]:
        """The served indexes, in the order named at start (the first is the default): name, documents,
        passages, whether it has vectors, the default retriever."""
        return library.stats()

    @app.get("/api/search", tags=["corpus"])
    def search(q: Annotated[str, Query(min_length=1, max_length=2000, description="The query.")],
               k: Annotated[int, Query(ge=1, le=50)] = 10, retriever: str = "auto",
               path: Annotated[str, Query(max_length=500, description="Glob over document paths.")] = "",
               index: IndexParam = "") -> list[SearchHit]:
        """Rank passages for a query (see the MCP tool `search`)."""
        return library.corpus(index).search(q, k, retriever, path)

    @app.get("/api/passage", tags=["corpus"])
    def passage(id: Annotated[str, Query(min_length=1, max_length=512)],
                window: Annotated[int, Query(ge=0, le=MAX_WINDOW)] = 1, index: IndexParam = "") -> ReadResult:
        """A passage with its neighbours and provenance (path, headings, page, character offsets)."""
        return library.corpus(index).read(id, window)

    @app.get("/api/document", tags=["corpus"])
    def document(docid: Annotated[str, Query(min_length=1, max_length=512)], index: IndexParam = "") -> DocumentView:
        """A whole document by docid (path or path#record) or by the id of any of its passages."""
        return library.corpus(index).get_document(docid)

    @app.get("/api/page", tags=["corpus"], response_class=Response,
             responses={200: {"content": {"image/png": {}}, "description": "The page as PNG."}})
    def pdf_page(id: Annotated[str, Query(min_length=1, max_length=512)],
                 quote: Annotated[str, Query(max_length=2000, description="Text to mark on the page.")] = "",
                 index: IndexParam = "") -> Response:
        """The PDF page a passage came from, rendered as PNG, with `quote` marked where the page's text layer
        holds it (404 for a passage that is not from a PDF). Headers: `X-Scent-Page`, `X-Scent-Pages`,
        `X-Scent-Marks` (rectangles marked; 0: not placed), `X-Scent-Mark-Top` (fraction of the height)."""
        image = page_image(library.corpus(index).index, id, quote)
        headers = {"Cache-Control": "no-store", "X-Scent-Page": str(image.page), "X-Scent-Pages": str(image.pages),
                   "X-Scent-Marks": str(image.marks)}
        if image.mark_top is not None:
            headers["X-Scent-Mark-Top"] = f"{image.mark_top:.4f}"
        return Response(image.png, media_type="image/png", headers=headers)

    @app.get("/api/original", tags=["corpus"], response_class=FileResponse,
             responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}})
    def original(id: Annotated[str, Query(min_length=1, max_length=512)], index: IndexParam = "") -> FileResponse:
        """The original file of the document a passage came from, as a download (`Content-Disposition:
        attachment`, `application/octet-stream`: never shown by the browser as a page of this origin)."""
        file, _ = source_file(library.corpus(index).index, id)
        return FileResponse(str(file), media_type="application/octet-stream", filename=file.name,
                            content_disposition_type="attachment",
                            headers={"Cache-Control": "no-store", "Content-Security-Policy": "sandbox"})

    @app.get("/api/sources", tags=["corpus"])
    def sources(limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0)] = 0, index: IndexParam = "") -> SourceList:
        """The documents of the index, by path."""
        return library.corpus(index).list_sources(limit, offset)

    @app.post("/api/verify", tags=["corpus"])
    def verify(body: VerifyRequest) -> Verification:
        """Does a quote occur verbatim in a passage, and how much of a claim does it cover."""
        return library.corpus(body.index).verify_citation(body.passage_id, body.quote, body.claim)

    @app.post("/api/ask", tags=["runs"], response_class=EventSourceResponse,
              responses={200: {"content": {"text/event-stream": {}}, "description": "The run's trace events."},
                         429: {"description": "Too many runs queued; see Retry-After."}})
    def ask(body: Annotated[AskRequest, Body()]) -> EventSourceResponse:
        """Start a run (`answer` or `report`) and stream its trace events (server-sent events, docs/server.md).
        Closing the stream cancels the run."""
        try:
            runs = agent(body.index)
            run = runs.start(body.question, body.mode)
        except ValueError as e:
            raise BadRequest(str(e)) from None
        return sse(run, True, runs)

    @app.get("/api/runs", tags=["runs"])
    def history(limit: Annotated[int, Query(ge=1, le=500)] = 50, index: IndexParam = "") -> list[dict[str, Any]]:
        """Past and running runs over the index, newest first."""
        return agent(index).history(limit)

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def run_trace(run_id: str, index: IndexParam = "") -> dict[str, Any]:
        """A run's trace events and, when it ended, its answer."""
        events = agent(index).events(run_id)
        if events is None:
            raise NotFound(f"no run {run_id!r}")
        end = next((e for e in reversed(events) if e["type"] == "run_end"), None)
        return {"id": run_id, "events": events, "answer": end.get("answer") if end else None,
                "status": end.get("status") if end else "unfinished"}

    @app.get("/api/runs/{run_id}/stream", tags=["runs"], response_class=EventSourceResponse)
    def follow(run_id: str, index: IndexParam = "") -> EventSourceResponse:
        """Follow a run that this server started (from its first event); closing this stream does not cancel."""
        runs = agent(index)
        run = runs.get_live(run_id)
        if run is None:
            raise NotFound(f"no live run {run_id!r} (finished runs: GET /api/runs/{{id}})")
        return sse(run, False, runs)

    @app.post("/api/runs/{run_id}/cancel", tags=["runs"], status_code=202)
    def cancel(run_id: str, index: IndexParam = "") -> dict[str, Any]:
        """Cancel a running or queued run (it stops at its next trace event)."""
        if not agent(index).cancel(run_id):
            raise NotFound(f"no running run {run_id!r}")
        return {"id": run_id, "cancelling": True}


def add_evals(app: FastAPI, library: Library) -> None:
    """Evaluation folders named at start (`--eval`): their summary and plots, read-only, by name."""

    @app.get("/api/evals", tags=["evaluations"])
    def evals() -> list[dict[str, Any]]:
        """The served evaluation folders: name and files (summary.json, summary.md, the .png plots)."""
        return library.list_evals()

    @app.get("/api/evals/{name}", tags=["evaluations"])
    def evaluation(name: str) -> dict[str, Any]:
        """An evaluation's summary.json (null if it has none) and its files."""
        return library.eval_summary(name)

    @app.get("/api/evals/{name}/{file}", tags=["evaluations"], response_class=FileResponse)
    def evaluation_file(name: str, file: str) -> FileResponse:
        """One file of an evaluation folder: summary.json, summary.md or a .png plot listed by /api/evals."""
        path, media = library.eval_file(name, file)
        return FileResponse(str(path), media_type=media, headers={"Cache-Control": "no-store",
                                                                    "X-Content-Type-Options": "nosniff"})
