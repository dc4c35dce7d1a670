"""Performance alert triage by sheriffs: creating and updating alert summaries and alerts (upstream's staff writes).

The rules live in ``treeherder.perf.triage``; this module checks who is acting (a signed-in sheriff with the CSRF
token, or an owned Hawk credential), records them (the alert's classifier, the summary's assignee by username) and
answers with the updated object in the read API's shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from treeherder.api.deps import get_db
from treeherder.api.errors import APIError, bare, detail, message
from treeherder.api.params import documented, error_responses, example_response
from treeherder.api.performance_alerts import get_alert, get_alert_summary
from treeherder.api.responses import ORJSONResponse
from treeherder.api.submit import read_json_body
from treeherder.auth.sessions import require_sheriff
from treeherder.auth.users import User
from treeherder.db import tables as t
from treeherder.db.engine import Database
from treeherder.perf.triage import (
    NotFound,
    TriageError,
    create_alert_summary,
    create_manual_alert,
    update_alert,
    update_alert_summary,
)

router = APIRouter(tags=["performance alert triage"])

STAFF_REFUSALS = (
    (403, {"detail": "Authentication credentials were not provided."}, "anonymous"),
    (403, {"detail": "You do not have permission to perform this action."}, "not a sheriff"),
)
# What the UI may send back in a whole-object PUT; read-only fields of the object are ignored, as DRF does.
_ALERT_WRITABLE = ("status", "related_summary_id", "starred", "is_regression", "push_id", "prev_push_id")
_SUMMARY_WRITABLE = ("status", "bug_number", "bug_status", "notes", "performance_tags", "revision",
                     "prev_push_revision", "issue_tracker")  # fmt: skip
BUG_STATUSES = range(9)  # NEW, FIXED, INVALID, INACTIVE, DUPLICATE, WONTFIX, WORKSFORME, INCOMPLETE, MOVED


async def _object_body(request: Request) -> dict[str, Any]:
    body = await read_json_body(request, request.app.state.settings.max_json_depth)
    if not isinstance(body, dict):
        raise detail(400, "Send a JSON object")
    return body


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _run_triage(action, *args):
    """Run a triage write, turning its refusals into upstream-shaped answers."""
    try:
        return action(*args)
    except NotFound as missing:
        raise detail(404, str(missing)) from None
    except TriageError as refused:
        text = str(refused)
        if text == "IDs of push & previous push cannot be identical":
            raise bare(400, text) from None
        if text in ("Nudging has been disabled", "Insufficient data to create an alert"):
            raise detail(400, text) from None
        raise APIError(400, {"non_field_errors": [text]}) from None


@router.post(
    "/api/performance/alertsummary/",
    summary="Create an alert summary by hand (sheriffs)",
    openapi_extra=documented([]),
    responses={
        200: example_response({"alert_summary_id": 12}),
        **error_responses((400, "IDs of push & previous push cannot be identical", "same pushes"), *STAFF_REFUSALS),
    },
)
async def create_summary(
    request: Request, user: User = Depends(require_sheriff), db: Database = Depends(get_db)
) -> ORJSONResponse:
    body = await _object_body(request)
    ids = [_int_or_none(body.get(name)) for name in ("repository_id", "framework_id", "push_id", "prev_push_id")]
    if any(value is None for value in ids):
        raise detail(400, "repository_id, framework_id, push_id and prev_push_id are required integers")
    summary_id = await run_in_threadpool(_run_triage, create_alert_summary, db, *ids)
    return ORJSONResponse({"alert_summary_id": summary_id})


def _summary_changes(db: Database, body: dict[str, Any]) -> dict[str, Any]:
    changes = {name: body[name] for name in _SUMMARY_WRITABLE if name in body}
    if "issue_tracker" in changes:
        changes["issue_tracker_id"] = _int_or_none(changes.pop("issue_tracker"))
    if "bug_number" in changes and changes["bug_number"] not in (None, ""):
        number = _int_or_none(changes["bug_number"])
        if number is None:
            raise APIError(400, {"bug_number": ["A valid integer is required."]})
        changes["bug_number"] = number
    elif "bug_number" in changes:
        changes["bug_number"] = None
    if "bug_status" in changes and changes["bug_status"] is not None:
        status = _int_or_none(changes["bug_status"])
        if status not in BUG_STATUSES:
            raise APIError(400, {"bug_status": [f'"{changes["bug_status"]}" is not a valid choice.']})
        changes["bug_status"] = status
    if "assignee_username" in body:
        username = body["assignee_username"]
        if username in (None, ""):
            changes["assignee_id"] = None
        else:
            with db.read() as conn:
                assignee = conn.execute(
                    select(t.user.c.id).where(t.user.c.username == username, t.user.c.is_active.is_(True))
                ).scalar()
            if assignee is None:
                raise APIError(400, {"assignee_username": [f"User with username {username} does not exist."]})
            changes["assignee_id"] = assignee
    return changes


_SUMMARY_TRIAGE = {
    "path": "/api/performance/alertsummary/{summary_id}/",
    "summary": "Triage an alert summary: status, bug number, notes, assignee, tags, revisions (sheriffs)",
    "openapi_extra": documented([]),
    "responses": error_responses(
        (400, {"non_field_errors": ["From and To revisions should be distinct."]}, "same revisions"),
        (404, {"detail": "No PerformanceAlertSummary matches the given query."}, "no such summary"),
        *STAFF_REFUSALS,
    ),
}


@router.put(**_SUMMARY_TRIAGE)
@router.patch(**_SUMMARY_TRIAGE)
async def change_summary(
    summary_id: int, request: Request, user: User = Depends(require_sheriff), db: Database = Depends(get_db)
) -> ORJSONResponse:
    body = await _object_body(request)
    changes = await run_in_threadpool(_summary_changes, db, body)
    await run_in_threadpool(_run_triage, update_alert_summary, db, summary_id, changes)
    return await run_in_threadpool(get_alert_summary, summary_id, db)


@router.post(
    "/api/performance/alert/",
    summary="Create an alert by hand in a summary (sheriffs)",
    openapi_extra=documented([]),
    responses={
        200: example_response({"alert_id": 99}),
        **error_responses(
            (400, {"message": "Summary and signature ids necessary to create alert"}, "missing ids"),
            (400, {"detail": "Insufficient data to create an alert"}, "no data around the push"),
            *STAFF_REFUSALS,
        ),
    },
)
async def create_alert(
    request: Request, user: User = Depends(require_sheriff), db: Database = Depends(get_db)
) -> ORJSONResponse:
    body = await _object_body(request)
    summary_id, signature_id = _int_or_none(body.get("summary_id")), _int_or_none(body.get("signature_id"))
    if summary_id is None or signature_id is None:
        raise message(400, "Summary and signature ids necessary to create alert")
    try:
        alert_id = await run_in_threadpool(create_manual_alert, db, summary_id, signature_id)
    except NotFound as missing:
        raise message(400, str(missing)) from None
    except TriageError as refused:
        raise detail(400, str(refused)) from None
    return ORJSONResponse({"alert_id": alert_id})


_ALERT_TRIAGE = {
    "path": "/api/performance/alert/{alert_id}/",
    "summary": "Triage an alert: status, related summary, star, regression flag (sheriffs; they become its classifier)",
    "openapi_extra": documented([]),
    "responses": error_responses(
        (400, {"detail": "Nudging has been disabled"}, "push_id / prev_push_id given"),
        (404, {"detail": "No PerformanceAlert matches the given query."}, "no such alert"),
        *STAFF_REFUSALS,
    ),
}


@router.put(**_ALERT_TRIAGE)
@router.patch(**_ALERT_TRIAGE)
async def change_alert(
    alert_id: int, request: Request, user: User = Depends(require_sheriff), db: Database = Depends(get_db)
) -> ORJSONResponse:
    body = await _object_body(request)
    changes = {name: body[name] for name in _ALERT_WRITABLE if name in body}
    if "related_summary_id" in changes and changes["related_summary_id"] is not None:
        changes["related_summary_id"] = _int_or_none(changes["related_summary_id"])
    if "status" in changes:
        status = _int_or_none(changes["status"])
        if status is None:
            raise APIError(400, {"status": ["A valid integer is required."]})
        changes["status"] = status
        changes["classifier_id"] = user.id  # who triaged it, shown as the alert's classifier
    await run_in_threadpool(_run_triage, update_alert, db, alert_id, changes)
    return await run_in_threadpool(get_alert, alert_id, db)
