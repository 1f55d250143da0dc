"""Who may do what: accounts, their roles, and their passwords, hashed with argon2.

Three roles, each able to do what the one before can:

- **viewer** — signs in to look, where the office requires sign-in for viewing too;
- **curator** — uploads reports, reviews them, submits them, approves other curators'
  submissions, returns them with a comment, withdraws reports;
- **admin** — also manages accounts and may allow one-person approval for a small office.

Passwords are hashed with argon2id (argon2-cffi's defaults: memory-hard, salted) and never
stored or logged in the clear. Accounts live in the store's workspace (see
:mod:`metrics.curate.workspace`), never in the data package.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from metrics.errors import MetricsError

ROLES = ("viewer", "curator", "admin")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$")
MIN_PASSWORD = 10  # characters: a passphrase an office can remember, not a PIN

_HASHER = PasswordHasher()


class AccountError(MetricsError):
    """An account cannot be made or changed as asked (a bad name, a weak password, …)."""


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password_hash: str
    disabled: bool = False
    created_at: str = ""  # UTC, ISO 8601

    def can(self, role: str) -> bool:
        """Whether this account may act as ``role`` (an admin may all a curator may)."""
        return not self.disabled and ROLES.index(self.role) >= ROLES.index(role)


def new_account(name: str, role: str, password: str) -> Account:
    """A new account; refuses a name or role that is not one, and a short password."""
    check_name(name)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Account(name, role, hash_password(password), created_at=at)


def check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise AccountError(
            f"an account name is 2 to 40 letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit; not {name!r}"
        )


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def password_matches(account: Account | None, password: str) -> bool:
    """Whether ``password`` is the account's. With no account, a hash is still checked, so
    that an unknown name takes as long to refuse as a wrong password (no name probing)."""
    stored = account.password_hash if account is not None else _dummy_hash()
    try:
        return _HASHER.verify(stored, password) and account is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("not the password of anyone")
