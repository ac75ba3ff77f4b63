"""Helpers of the 专题研判 tests: the service-side actor of a demo account, the text of a PDF,
and the analytics tests' district with a case history (shared when both run)."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from tests.analytics.conftest import history_district  # noqa: F401  (a shared fixture)

XUZHUANG, NANZHANG = "370811002", "370811006"  # 许庄街道, 南张街道
XUZHUANG_COMMUNITY = "370811002001"


def actor_of(session: Session, username: str) -> Actor:
    user_id = session.scalars(select(User.id).where(User.username == username)).one()
    return accounts.actor_for(session, accounts.user_for_token(session, user_id))


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
