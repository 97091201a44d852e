"""The integer ranges a client may send, declared once: ids, counts and what the database can hold.

Every id column is a PostgreSQL BIGINT and every count an INTEGER; a larger number sent in a
path, a query or a body used to reach the driver and fail there as a 500. These types refuse it
at the edge with a 422 instead, and publish the range in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

from vocabulary.figures import MAX_COUNT

BIGINT_MAX = 2**63 - 1

# Annotated-types constraints rather than Field(): they combine with FastAPI's Path/Query/Form.
Id = Annotated[int, Ge(1), Le(BIGINT_MAX)]
Count = Annotated[int, Ge(0), Le(MAX_COUNT)]
