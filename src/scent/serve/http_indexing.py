"""The routes of indexing from the page (`scent serve --allow-index-root`): the state, adding a folder, a job's
progress and report, and uploads into an allowed folder (scent.serve.indexing does the work and the checks)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as Path_
from pydantic import BaseModel, Field

from scent.serve.indexing import Indexer, IndexingOff, write_new_file
from scent.serve.library import Library

UPLOAD_PATH = "/api/upload"  # the one route whose body may exceed the server's request cap (--max-upload-mb)
INDEX_HELP = "The served index to use (a name from /api/indexes; empty: the first one named at start)."


class AddFolderRequest(BaseModel):
    path: str = Field(max_length=4096, description="An absolute folder path on the server, inside a root "
                      "named by --allow-index-root.")
    index: str = Field("", max_length=64, description=INDEX_HELP)


def add_indexing(app: FastAPI, library: Library) -> None:
    """Adding a folder from the page (`--allow-index-root`): start, follow, and read the ingest report."""

    def indexer() -> Indexer:
        if library.indexer is None or not library.indexer.enabled:
            raise IndexingOff("indexing from the page is off: start `scent serve` with --allow-index-root DIR")
        return library.indexer

    @app.get("/api/indexing", tags=["indexing"])
    def indexing() -> dict[str, Any]:
        """Whether the page may add folders, under which roots, to which indexes; the recent jobs."""
        if library.indexer is None:
            return {"enabled": False, "roots": [], "indexes": [], "jobs": []}
        return library.indexer.info()

    @app.post("/api/indexing", tags=["indexing"], status_code=202)
    def add_folder(body: AddFolderRequest) -> dict[str, Any]:
        """Index a folder (an absolute path inside an allowed root) into a served index, in the background:
        422 says what is wrong with the path, 409 when a folder is being indexed already."""
        name = library.corpus(body.index).name
        return indexer().start(body.path, name).view()

    @app.post(UPLOAD_PATH, tags=["indexing"], status_code=201)
    async def upload(request: Request, folder: Annotated[str, Query(max_length=4096)],
                     name: Annotated[str, Query(max_length=255)]) -> dict[str, Any]:
        """Put one file, the raw request body, into `folder` (inside an allowed root) as `name`, never replacing
        a file; index the folder afterwards to read it. 413 over --max-upload-mb, 409 when the name is taken."""
        length = request.headers.get("content-length", "")
        target = indexer().upload_target(folder, name, int(length) if length.isdigit() else None)
        written = await write_new_file(target, request.stream(), indexer().max_upload)
        return {"folder": folder, "name": target.name, "bytes": written}

    @app.get("/api/indexing/{job_id}", tags=["indexing"])
    def indexing_job(job_id: Annotated[str, Path_(max_length=64)]) -> dict[str, Any]:
        """A job's progress (files read of the total, passages added, vectors embedded) and, when finished, its
        summary and the files skipped and why."""
        return indexer().job(job_id).view()
