"""One composition root: what ``OrderStatus.open`` opens, ``close()`` closes, whatever fails."""

from __future__ import annotations

import doctest
from collections.abc import Callable
from types import ModuleType

import pytest

import orderstatus_core.bootstrap as bootstrap_module
from orderstatus_argon2.hasher import Argon2PasswordHasher
from orderstatus_core import (
    AdapterError,
    AdapterRegistry,
    Hooks,
    OrderStatus,
    get_plugin_manager,
    hookimpl,
)
from orderstatus_core.bootstrap import bootstrap
from orderstatus_core.services.context import close_all
from orderstatus_core.testing import (
    FixedClock,
    RecordingLabelMaker,
    RecordingMailer,
    fake_context,
    fakes,
    policies_with,
)
from orderstatus_memory import MemoryRateLimiter, MemoryStorage

KINDS = ("storage", "mail", "rate_limits", "labels")


class _Traced:
    """Mixed into each adapter: records its close in the shared journal, or fails it."""

    journal: list[str]
    kind: str
    fail_close: bool

    def close(self) -> None:
        self.journal.append(f"close {self.kind}")
        if self.fail_close:
            raise OSError(f"{self.kind} would not close")


class TracedStorage(_Traced, MemoryStorage):
    pass


class TracedMailer(_Traced, RecordingMailer):
    pass


class TracedLimiter(_Traced, MemoryRateLimiter):
    pass


class TracedLabels(_Traced, RecordingLabelMaker):
    pass


class TraceAdapters:
    """A plugin offering ``trace://`` for each port; ``fail_open`` and ``fail_close`` name
    the kinds whose opening or closing fails."""

    def __init__(self, fail_open: tuple[str, ...] = (), fail_close: tuple[str, ...] = ()) -> None:
        self.journal: list[str] = []
        self.fail_open = fail_open
        self.fail_close = fail_close

    def _opener(self, kind: str, cls: type[_Traced]) -> Callable[[str], _Traced]:
        def open_(url: str) -> _Traced:
            self.journal.append(f"open {kind}")
            if kind in self.fail_open:
                raise AdapterError(f"{kind} is unreachable")
            adapter = cls()
            adapter.journal, adapter.kind = self.journal, kind
            adapter.fail_close = kind in self.fail_close
            return adapter

        return open_

    @hookimpl
    def orderstatus_register_adapters(self, registry: AdapterRegistry) -> None:
        registry.add_storage("trace", self._opener("storage", TracedStorage))
        registry.add_mailer("trace", self._opener("mail", TracedMailer))
        registry.add_rate_limiter("trace", self._opener("rate_limits", TracedLimiter))
        registry.add_label_maker("trace", self._opener("labels", TracedLabels))


def _open(trace: TraceAdapters) -> OrderStatus:
    return OrderStatus.open(**dict.fromkeys(KINDS, "trace://"), plugins=[trace])


def test_close_closes_everything_opened_newest_first() -> None:
    """Storage, mail, rate limits and labels opened from URLs are all closed, in reverse."""
    trace = TraceAdapters()
    with _open(trace):
        assert trace.journal == [f"open {kind}" for kind in KINDS]
    assert trace.journal[4:] == [f"close {kind}" for kind in reversed(KINDS)]


def test_a_failing_close_still_closes_the_rest() -> None:
    """The mailer failing to close leaves neither the limiter nor the storage open; the
    first error is raised, the second noted on it."""
    trace = TraceAdapters(fail_close=("rate_limits", "mail"))
    desk = _open(trace)
    with pytest.raises(OSError, match="rate_limits would not close") as failed:
        desk.close()
    assert trace.journal[4:] == [f"close {kind}" for kind in reversed(KINDS)]
    assert any("mail would not close" in note for note in failed.value.__notes__)


@pytest.mark.parametrize("failing", KINDS[1:])
def test_a_failing_open_closes_what_was_opened_before_it(failing: str) -> None:
    """An unreachable adapter fails the open, and the ones opened before it are closed."""
    trace = TraceAdapters(fail_open=(failing,))
    with pytest.raises(AdapterError, match=f"{failing} is unreachable"):
        _open(trace)
    before = list(KINDS[: KINDS.index(failing)])
    assert trace.journal == [
        *(f"open {kind}" for kind in [*before, failing]),
        *(f"close {kind}" for kind in reversed(before)),
    ]


def test_a_failing_open_is_the_error_seen_even_if_a_close_fails_too() -> None:
    """The cause a store must fix is the open; the failed close is a note on it."""
    trace = TraceAdapters(fail_open=("labels",), fail_close=("mail",))
    with pytest.raises(AdapterError, match="labels is unreachable") as failed:
        _open(trace)
    assert trace.journal[-3:] == ["close rate_limits", "close mail", "close storage"]
    assert any("mail would not close" in note for note in failed.value.__notes__)


def test_objects_passed_in_are_the_callers_to_close() -> None:
    """Only what was opened from a URL is closed: a storage object passed in stays usable."""
    trace = TraceAdapters()
    storage = TracedStorage()
    storage.journal, storage.kind, storage.fail_close = trace.journal, "storage", False
    with OrderStatus.open(storage=storage, mail="trace://", plugins=[trace]) as desk:
        assert desk.context.storage is storage
        # The default password hasher (argon2://) is opened from its URL too.
        opened = [type(r) for r in desk.context.opened]
        assert opened == [TracedMailer, MemoryRateLimiter, Argon2PasswordHasher]
    assert trace.journal == ["open mail", "close mail"]


def test_open_takes_its_adapters_as_keywords_only() -> None:
    """``OrderStatus.open("memory://", ...)`` is refused: a call reads as configuration."""
    with pytest.raises(TypeError):
        OrderStatus.open("memory://", "mailbox:///mail")  # type: ignore[call-arg]


def test_fake_context_is_built_by_the_same_root() -> None:
    """A test context opens its storage and limiter from ``memory://`` like a store does,
    and closing it closes them."""
    ctx = fake_context()
    assert [type(r) for r in ctx.opened] == [MemoryStorage, MemoryRateLimiter]
    ctx.close()


def test_bootstrap_needs_no_plugin_manager_when_given_policies_and_registry() -> None:
    """Given both, the root loads no entry points (tests stay fast)."""
    registry = AdapterRegistry()
    registry.add_storage("memory", MemoryStorage.from_url)
    registry.add_rate_limiter("memory", MemoryRateLimiter.from_url)
    ctx = bootstrap(
        storage="memory://",
        mail=RecordingMailer(),
        clock=FixedClock(),
        policies=policies_with(),
        registry=registry,
    )
    assert ctx.policies.lookup_policy() == Hooks(get_plugin_manager()).lookup_policy()
    ctx.close()


def test_close_all_with_nothing_to_close_does_nothing() -> None:
    """An empty list closes quietly."""
    close_all([])


@pytest.mark.parametrize("module", [bootstrap_module, fakes], ids=lambda m: m.__name__)
def test_the_examples_in_the_docstrings_run(module: ModuleType) -> None:
    """The composition root's and the fakes' examples are true."""
    failed, attempted = doctest.testmod(module)
    assert attempted > 0
    assert failed == 0
