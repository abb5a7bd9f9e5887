"""API tokens for automation: a logged-in person makes, lists and revokes their own.

A token is shown once, in the answer that creates it; only its digest is stored. Tokens carry at most their
owner's roles, cut again to the owner's current roles at each use (AuthService). A token cannot make
another token: creating one needs a browser session (password and second factor), so a leaked token
cannot extend its own life.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import parse_roles
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, CallerDep, ContextDep
from vigilant.web.params import RowId
from vigilant.web.schemas import ApiTokenOut, NewApiTokenOut

router = APIRouter(prefix=API_V1, responses=ERRORS)


class ApiTokenIn(BaseModel):
    name: str = Field(
        min_length=1, max_length=200, description="what the token is for, e.g. 'nightly import'"
    )
    roles: list[str] | None = Field(
        default=None, description="a subset of your roles; all of them if left out"
    )


@router.get("/tokens", response_model=list[ApiTokenOut])
def list_tokens(ctx: ContextDep, actor: ActorDep) -> list[ApiTokenOut]:
    return [ApiTokenOut.of(info) for info in ctx.auth.list_api_tokens(actor)]


@router.post("/tokens", response_model=NewApiTokenOut, status_code=201)
async def create_token(ctx: ContextDep, caller: CallerDep, body: ApiTokenIn) -> NewApiTokenOut:
    actor = caller.actor
    if caller.csrf_token is None:  # a bearer caller: a token may not mint tokens
        raise PermissionDenied(actor.username, "create API tokens with an API token (log in to make one)")
    roles = None if body.roles is None else parse_roles(body.roles)
    made = await run_in_threadpool(
        ctx.auth.create_api_token, actor, body.name.strip(), roles=roles, now=ctx.clock()
    )
    return NewApiTokenOut(id=made.id, token=made.token, name=body.name.strip())


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(ctx: ContextDep, actor: ActorDep, token_id: RowId) -> Response:
    ctx.auth.revoke_api_token(actor, token_id, now=ctx.clock())
    return Response(status_code=204)
