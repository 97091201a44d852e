"""A new user's shape: who they are and what their role binds them to."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vocabulary.states import Role


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    bureau_code: str | None = None
    firm_uscc: str | None = None
