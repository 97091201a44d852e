"""Login and logged-in user shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vocabulary.states import Role


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    bureau_code: str | None
    firm_uscc: str | None


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserRead
