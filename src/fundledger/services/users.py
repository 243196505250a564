"""The people who sign in to the web interface: added, listed, disabled, given a password or
a role (`fundledger user ...`, and the web's admin pages later), and signed in.

A user is a chain of revisions in app_user (models.AppUser); the latest revision of a name is
in force, and every change is a new revision with its audit event, in the caller's
transaction. Passwords are kept as Argon2id hashes (argon2-cffi), rehashed at the next sign-in
when the hasher's parameters change. Managing users needs the admin role (whoever runs the
`fundledger` command at a terminal acts as an admin); a user may change their own password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AppUser
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.domain.settings import REPORT_LOCALES
from fundledger.domain.text import control_problem
from fundledger.services.context import CommandContext, now, record_audit

MIN_PASSWORD_LENGTH = 12
# Hashing is deliberately slow: a password of a megabyte would tie a server thread up. No
# passphrase anyone types is longer.
MAX_PASSWORD_LENGTH = 1024
NAME_LENGTH = 64
# Letters (any script), digits and . _ @ - ; starting with a letter or digit: a name is typed at
# a sign-in form and on the command line, and printed in the audit trail.
_NAME = re.compile(r"[^\W_][\w.@-]*")


class UserError(FundledgerError):
    """A user that cannot be added or changed as asked."""


@dataclass(frozen=True, slots=True)
class User:
    """A user as their latest revision has them (never their password hash)."""

    name: str
    role: Role
    disabled: bool
    language: str | None
    revision: int
    # The revision that set the password in force: a session signed in under an earlier one
    # has ended (the web keeps it in the session).
    password_revision: int
    changed_at: datetime
    changed_by: str

    @property
    def active(self) -> bool:
        return not self.disabled

    def actor(self) -> Actor:
        return Actor(self.name, self.role)


@cache
def _hasher() -> PasswordHasher:
    """argon2-cffi's defaults: Argon2id, with parameters its maintainers raise over time (a
    hash made with older ones is rehashed at the next sign-in)."""
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash no password is checked against but to spend, for a name that is not a user, the
    time a wrong password takes: the time of an answer does not tell who has an account."""
    return _hasher().hash("fundledger: no such user")


def name_key(name: str) -> str:
    """What names are compared by: Dana and dana are one user."""
    return name.strip().casefold()


def checked_name(name: str) -> str:
    text = name.strip()
    if problem := control_problem(text):
        raise UserError(f"the user name {problem}")
    if not text or len(text) > NAME_LENGTH or not _NAME.fullmatch(text):
        raise UserError(
            f"{text[:NAME_LENGTH]!r} is not a user name: up to {NAME_LENGTH} letters, digits and "
            ". _ @ -, starting with a letter or digit (e.g. dana or dana.levi)"
        )
    return text


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"the password has {len(password)} characters; it needs at least "
            f"{MIN_PASSWORD_LENGTH} (a few unrelated words make a long one that is easy to type)"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")
    return password


def checked_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise UserError(
            f"{role!r} is not a role: use one of {', '.join(r.value for r in Role)}"
        ) from None


def checked_language(language: str | None) -> str | None:
    if language is None or not language.strip():
        return None
    code = language.strip().lower()
    if code not in REPORT_LOCALES:
        raise UserError(f"{language!r} is not a language of fundledger: use one of "
                        f"{', '.join(REPORT_LOCALES)}")  # fmt: skip
    return code


def _view(row: AppUser) -> User:
    return User(name=row.name, role=Role(row.role), disabled=row.disabled,
                language=row.language, revision=row.revision,
                password_revision=row.password_revision, changed_at=row.recorded_at,
                changed_by=row.recorded_by)  # fmt: skip


def _latest_rows(session: Session, key: str | None = None) -> list[AppUser]:
    latest = select(func.max(AppUser.id)).group_by(AppUser.name_key)
    if key is not None:
        latest = latest.where(AppUser.name_key == key)
    return list(
        session.scalars(select(AppUser).where(AppUser.id.in_(latest)).order_by(AppUser.name_key))
    )


def _latest(session: Session, name: str) -> AppUser | None:
    rows = _latest_rows(session, name_key(name))
    return rows[0] if rows else None


def _existing(session: Session, name: str) -> AppUser:
    row = _latest(session, name)
    if row is None:
        raise UserError(f"no user {name.strip()!r}; add one with `fundledger user add "
                        f"{name.strip() or 'NAME'} --role viewer`")  # fmt: skip
    return row


def list_users(session: Session) -> list[User]:
    """Every user, disabled ones too, by name."""
    return [_view(row) for row in _latest_rows(session)]


def find_user(session: Session, name: str) -> User | None:
    row = _latest(session, name)
    return _view(row) if row is not None else None


def _revise(
    session: Session,
    context: CommandContext,
    earlier: AppUser,
    action: str,
    details: dict[str, str],
    **changes: object,
) -> User:
    """A new revision of `earlier` with `changes`, and its audit event."""
    values: dict[str, object] = {
        "name": earlier.name, "name_key": earlier.name_key, "role": earlier.role,
        "password_hash": earlier.password_hash, "password_revision": earlier.password_revision,
        "disabled": earlier.disabled, "language": earlier.language,
    }  # fmt: skip
    values.update(changes)
    row = AppUser(**values, revision=earlier.revision + 1, recorded_at=now(),
                  recorded_by=context.actor)  # fmt: skip
    session.add(row)
    session.flush()
    record_audit(session, context, action, entity="app_user", entity_id=row.id,
                 details={"user": row.name, **details})  # fmt: skip
    return _view(row)


def add_user(
    session: Session,
    context: CommandContext,
    by: Actor,
    name: str,
    role: str,
    password: str,
    language: str | None = None,
) -> User:
    """A new user. The name must not be taken (in any case), even by a disabled user: the
    audit trail names people by it."""
    require(by, Role.ADMIN, "add a user")
    text, chosen = checked_name(name), checked_role(role)
    checked_password(password)
    spoken = checked_language(language)
    if (earlier := _latest(session, text)) is not None:
        state = " (disabled)" if earlier.disabled else ""
        raise UserError(f"there is a user {earlier.name!r}{state} already; change it with "
                        f"`fundledger user role` or `user password`")  # fmt: skip
    row = AppUser(name=text, name_key=name_key(text), revision=1, role=chosen.value,
                  password_hash=_hasher().hash(password), password_revision=1, disabled=False,
                  language=spoken, recorded_at=now(), recorded_by=context.actor)  # fmt: skip
    session.add(row)
    session.flush()
    record_audit(session, context, "user.add", entity="app_user", entity_id=row.id,
                 details={"user": text, "role": chosen.value, "language": spoken})  # fmt: skip
    return _view(row)


def _refuse_losing_the_last_admin(session: Session, row: AppUser, doing: str) -> None:
    if row.disabled or row.role != Role.ADMIN:
        return
    admins = [
        user for user in _latest_rows(session) if user.role == Role.ADMIN and not user.disabled
    ]
    if len(admins) <= 1:
        raise UserError(f"{row.name} is the only active admin: {doing} would leave nobody to "
                        "manage users; add or promote another admin first")  # fmt: skip


def disable_user(session: Session, context: CommandContext, by: Actor, name: str) -> User:
    """The user can no longer sign in; a session of theirs ends at its next request."""
    require(by, Role.ADMIN, "disable a user")
    row = _existing(session, name)
    if row.disabled:
        raise UserError(f"{row.name} is disabled already")
    _refuse_losing_the_last_admin(session, row, f"disabling {row.name}")
    return _revise(session, context, row, "user.disable", {}, disabled=True)


def set_password(
    session: Session, context: CommandContext, by: Actor, name: str, password: str
) -> User:
    """A new password (a user's sessions signed in with the old one end). Enables a disabled
    user again: an admin gives a returning person a new password."""
    row = _existing(session, name)
    if name_key(by.name) != row.name_key:
        require(by, Role.ADMIN, "set another user's password")
    checked_password(password)
    return _revise(session, context, row, "user.password", {"enabled": str(row.disabled).lower()},
                   password_hash=_hasher().hash(password),
                   password_revision=row.revision + 1,
                   disabled=False)  # fmt: skip


def set_role(session: Session, context: CommandContext, by: Actor, name: str, role: str) -> User:
    require(by, Role.ADMIN, "change a user's role")
    row = _existing(session, name)
    chosen = checked_role(role)
    if chosen == row.role:
        return _view(row)
    _refuse_losing_the_last_admin(session, row, f"making {row.name} a {chosen}")
    return _revise(session, context, row, "user.role", {"from": row.role, "to": chosen.value},
                   role=chosen.value)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SignIn:
    """What a password check found: the user (None: the one outcome for a name that is not a
    user, a disabled one and a wrong password), and whether their hash was made with older
    parameters than the hasher's now (`rehash` replaces it)."""

    user: User | None
    needs_rehash: bool = False


def check_password(session: Session, name: str, password: str) -> SignIn:
    """Whether `name` signs in with `password`, at the same cost for a name that is not a user.
    Reads only: the web checks in a read transaction, so a SQLite ledger's write lock is not
    held for the (deliberately slow) hash."""
    row = _latest(session, name) if len(name) <= NAME_LENGTH else None
    stored = row.password_hash if row is not None else _dummy_hash()
    try:
        _hasher().verify(stored, password[: MAX_PASSWORD_LENGTH + 1])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return SignIn(None)
    if row is None or row.disabled or len(password) > MAX_PASSWORD_LENGTH:
        return SignIn(None)
    return SignIn(_view(row), _hasher().check_needs_rehash(row.password_hash))


def rehash(session: Session, context: CommandContext, name: str, password: str) -> User | None:
    """A revision with the password (just checked) hashed with the hasher's parameters now;
    None if it no longer signs in (changed meanwhile)."""
    checked = check_password(session, name, password)
    if checked.user is None or not checked.needs_rehash:
        return checked.user
    row = _existing(session, name)
    return _revise(session, context, row, "user.rehash", {},
                   password_hash=_hasher().hash(password))  # fmt: skip


def authenticate(
    session: Session, context: CommandContext, name: str, password: str
) -> User | None:
    """`check_password` and, when the hash is older than the hasher's parameters, `rehash`, in
    the caller's transaction (which must be able to write)."""
    checked = check_password(session, name, password)
    if checked.user is not None and checked.needs_rehash:
        return rehash(session, context, name, password)
    return checked.user


def user_for_session(session: Session, name: str, password_revision: int) -> User | None:
    """The user a session signed in as, while it still stands: None once the user is disabled,
    has a new password, or is no more."""
    row = _latest(session, name)
    if row is None or row.disabled or row.password_revision != password_revision:
        return None
    return _view(row)
