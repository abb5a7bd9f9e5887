"""A page per library hash set: where it came from, what it holds, its category profile, its imports.

Read-only, for the roles that may read the library (``library.read``, checked by the service). Entries
themselves are not listed: the set's figures say what it holds, and a hash is looked up on /library.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from vigilant.errors import BadInputError
from vigilant.library.categories import CategoryProfile
from vigilant.web.auth import CallerDep, ContextDep
from vigilant.web.pages import render
from vigilant.web.params import RowId

router = APIRouter(include_in_schema=False)
SetId = RowId  # bounded as every id is (vigilant.web.params): a larger one cannot name a set


@router.get("/library/sets/{set_id}")
def set_page(set_id: SetId, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    detail = ctx.library.set_for(caller.actor, set_id)
    info = detail.figures.info
    try:
        profile: CategoryProfile | None = info.category_profile  # built-in, or the set's stored custom one
    except BadInputError:
        profile = None  # a profile this installation no longer defines: codes are shown as they are
    categories = [
        (code, profile.get(code) if profile else None, count)
        for code, count in sorted(
            detail.figures.categories.items(), key=lambda kv: (kv[0] is None, kv[0] or "")
        )
    ]
    return render(
        ctx,
        "library_set.html",
        caller=caller,
        info=info,
        figures=detail.figures,
        profile=profile,
        categories=categories,
        imports=detail.imports,
    )
