"""What only PostgreSQL must take care of on the way in: text it cannot hold.

Round trips every storage keeps (every field, hostile text, ordering, search, the outbox)
are in the suites per port (orderstatus_core.testing.contracts), run in
test_postgres_contract.py."""

from __future__ import annotations

from orderstatus_core import OrderListMail, OutboxMessage, parse_email
from orderstatus_postgres import PostgresStorage
from support.pg_helpers import T0


def mail(number: str) -> OrderListMail:
    return OrderListMail(to=parse_email("Jane@Example.com"), order_numbers=(number,))


def test_an_error_text_postgresql_cannot_hold_is_kept_readable(pg_storage: PostgresStorage) -> None:
    """mark_failed keeps a relay error with NUL or a lone surrogate (a diagnostic from a
    mail server, not data): NUL becomes U+FFFD, the surrogate '?'; the rest is kept."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.outbox.put(OutboxMessage("a", T0, mail("1")))
        uow.outbox.mark_failed("a", "550 bad\x00byte \ud800 here", T0)
        uow.outbox.mark_sent("no\x00such", T0)
        uow.commit()
    with pg_storage.unit_of_work() as uow:
        (failed,) = uow.outbox.due(T0, 10)
    assert failed.last_error == "550 bad\ufffdbyte ? here"
    assert failed.attempts == 1
