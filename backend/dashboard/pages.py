"""Pages of the dashboard (server-rendered SVG charts) and the city's evaluation runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from backend.core import clock
from backend.core.db import SessionDep
from backend.dashboard import service as dashboard_service
from backend.dashboard.charts import TARGET_COLOUR
from backend.web.render import render
from backend.web.session import FormViewerDep, ViewerDep
from vocabulary.states import OUTCOME_LABELS

pages = APIRouter(include_in_schema=False)

YearQuery = Annotated[int | None, Query(ge=2000, le=2200)]


@pages.get("/dashboard")
async def dashboard_page(
    request: Request, session: SessionDep, viewer: ViewerDep, year: YearQuery = None
) -> Response:
    """Tier counts per bureau against district targets, trends by year, award money by program."""
    data = await dashboard_service.dashboard(session, viewer.actor, year)
    return render(request, "dashboard/index.html", {"d": data, "target_colour": TARGET_COLOUR})


@pages.get("/evaluations")
async def evaluations_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    year: YearQuery = None,
    run: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The latest decisions per program for a year, the recent runs, and the form to run one."""
    finished = await dashboard_service.evaluation_run(session, viewer.actor, run) if run else None
    shown = year or (finished.year if finished else clock.today().year)
    overview = await dashboard_service.evaluation_overview(session, viewer.actor, shown)
    context = {
        "overview": overview,
        "finished": finished,
        "messages": dashboard_service.run_messages(finished) if finished else [],
        "this_year": clock.today().year,
        "outcome_labels": OUTCOME_LABELS,
    }
    return render(request, "evaluations/run.html", context)


@pages.post("/evaluations")
async def run_evaluation(
    session: SessionDep, viewer: FormViewerDep, year: Annotated[int, Form(ge=2000, le=2200)]
) -> Response:
    """Evaluate every firm for ``year`` (unchanged decisions are not written again), then show the summary."""
    summary = await dashboard_service.run_evaluation(session, viewer.actor, year)
    return RedirectResponse(f"/evaluations?year={year}&run={summary.run_id}", status_code=303)
