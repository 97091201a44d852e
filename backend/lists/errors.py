"""Export errors: stable codes, Chinese details."""

from __future__ import annotations

from backend.core.errors import AppError, Conflict, Forbidden, NotFound, Unprocessable


class ExportForbidden(Forbidden):
    code = "export.forbidden"


class ExportNotFound(NotFound):
    code = "export.not_found"


class ExportInvalid(Unprocessable):
    code = "export.invalid"


class ExportFailed(AppError):
    """The list could not be written as asked (a value the writer refuses)."""

    status_code = 422
    code = "export.unwritable"


class AwardsNotApproved(Conflict):
    code = "export.awards_not_approved"


class ExportDataChanged(Conflict):
    """The rows streamed into the file differ from the snapshot read just before (a concurrent change)."""

    code = "export.data_changed"


class FinalListExists(Conflict):
    """A final 拨付清单 asked for where the file of another final list is: signed lists are never replaced."""

    code = "export.final_list_exists"
