"""The lists a new password is checked against (SECURITY B2): the shipped list of common
passwords, and the default breached-password check, which knows of none.

The common list is ``orderstatus_core/data/common-passwords.txt.gz``: the 20,000 passwords
Royce Williams compiled in 2017, lower-cased and deduplicated by the Django project
(19,640 entries), shipped unchanged from Django 5.2 under its BSD licence
(``data/common-passwords.LICENSE``; see ``NOTICE``). It is read the first time it is asked
for, never at import, and kept for the life of the process.

>>> "Password123" in common_passwords()
True
>>> NoBreachedPasswords().is_breached("correct horse battery staple")
False
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from orderstatus_core.policies.passwords import CommonPasswords

__all__ = ["COMMON_PASSWORDS_FILE", "NoBreachedPasswords", "common_passwords"]

#: The shipped list, inside the ``orderstatus_core`` package.
COMMON_PASSWORDS_FILE = "data/common-passwords.txt.gz"


@functools.cache
def common_passwords() -> CommonPasswords:
    """The shipped list of common passwords, read once (about 20 ms) and then shared."""
    data = resources.files("orderstatus_core").joinpath(COMMON_PASSWORDS_FILE).read_bytes()
    return CommonPasswords.from_lines(gzip.decompress(data).decode("utf-8").splitlines())


class NoBreachedPasswords:
    """The default :class:`~orderstatus_core.ports.BreachedPasswords`: knows of no breach.

    A store that checks breach corpora (a k-anonymity client of Have I Been Pwned, an
    internal list) registers its own adapter; the common list is checked either way.
    """

    def is_breached(self, password: str) -> bool:
        """Never: this check knows of no breach."""
        return False

    def close(self) -> None:
        """Nothing to release."""
