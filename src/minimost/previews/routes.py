"""``/api/previews``: link cards, their images, and cards for uploaded text files."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response
from quart_schema import validate_querystring

from ..api import ApiError
from ..chat.messages import actions as chat_actions
from ..chat.uploads.streaming import original_name
from ..identity import signed_in_user
from ..runtime import get_runtime, need
from ..web.guards import passive
from ..web.ratelimits import rate_limited
from ..web.schemas import answer, file_response
from .guard import MalformedLinkError
from .schemas import ImageQuery, PreviewAnswer, PreviewQuery
from .service import PreviewService, file_preview

IMAGE_CACHE_SECONDS = 7 * 24 * 3600

blueprint = Blueprint("previews_api", __name__, url_prefix="/api/previews")


def _service() -> PreviewService:
    return need(get_runtime().services.previews, "previews")


@blueprint.get("")
@rate_limited("link_preview", by="user")
@passive
@validate_querystring(PreviewQuery)
@answer(PreviewAnswer)
async def link_preview(query_args: PreviewQuery) -> dict[str, Any]:
    try:
        preview = await _service().link_preview(query_args.url.strip())
    except MalformedLinkError as error:
        raise ApiError(400, "bad_url", str(error)) from error
    return {"preview": preview}


@blueprint.get("/image")
@rate_limited("preview_image", by="user")
@passive
@validate_querystring(ImageQuery)
@file_response("image/png", "image/jpeg")
async def preview_image(query_args: ImageQuery) -> Response:
    """Only images a preview named (the token is signed), re-encoded, never sniffed."""
    image = await _service().image(query_args.u)
    if image is None:
        raise ApiError(404, "not_found", "There is no preview image here.")
    response = Response(image.data, mimetype=image.media_type)
    response.headers["Cache-Control"] = f"private, max-age={IMAGE_CACHE_SECONDS}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@blueprint.get("/files/<name>")
@passive
@answer(PreviewAnswer)
async def uploaded_file_preview(name: str) -> dict[str, Any]:
    """Same visibility as the file itself: who may not fetch it gets 404."""
    path = await chat_actions.readable_file(get_runtime(), signed_in_user().username, name)
    return {"preview": await file_preview(path, name, original_name(name))}
