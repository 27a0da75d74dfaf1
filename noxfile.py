"""Development sessions. ``nox`` runs tests (every supported Python), typecheck, lint and docs.

``nox -l`` lists the sessions; ``nox -s bench``, ``nox -s demo`` and ``nox -s lifecycle``
(the order lifecycle machine run long, for a nightly job) are opt-in. The Python
versions and the tool requirements are read from ``pyproject.toml`` (the classifiers and
the ``[dependency-groups]`` table), so this file never repeats them.

pyenv users: nox finds ``python3.12`` and ``python3.13`` only if pyenv lists them, e.g.
``export PYENV_VERSION=3.11.7:3.12.1:3.13.0`` (``.ci/run`` builds this from
``pyenv versions --bare``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nox

# dependency_groups() and default=False sessions arrived in this release.
nox.needs_version = ">=2025.2.9"

# uv when it is installed (``.ci/run`` installs it beside nox): it creates a session's
# environment and installs the test requirements in seconds where pip takes two minutes,
# which is a quarter of a CI run's budget over six sessions. Plain venv and pip otherwise:
# every Python has them.
nox.options.default_venv_backend = "uv|venv"
# A missing interpreter must be an error (in CI) or a skip (locally), never a download:
# the machines reach PyPI and nothing else.
nox.options.download_python = "never"
# Keep session environments between runs; the package itself is reinstalled every time.
# ``nox -N`` rebuilds them.
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)
OLDEST_PYTHON = PYTHONS[0]
# Every bundled adapter package, so that a new one is type-checked without editing this file.
ADAPTER_DIRS = sorted(
    path.relative_to(ROOT).as_posix() for path in (ROOT / "src/adapters").glob("orderstatus_*")
)


def _install(session: nox.Session, *groups: str, package: str = ".") -> None:
    """Install the package (built as a wheel, as a user gets it) and dependency groups.

    pip and uv both rebuild a local directory named on the command line every time, so a
    reused environment tests today's code.
    """
    requirements: list[str] = []
    for group in groups:
        requirements.extend(nox.project.dependency_groups(PYPROJECT, group))
    session.install(package, *requirements)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite against the installed package (Hypothesis profile ``ci``/``ci-quick``).

    ``ci`` on the oldest Python, ``ci-quick`` on the others. Every test but the browser's
    runs on every Python; ``ci`` is derandomized, so each Python would draw the same
    examples from the same seeds, and the later Pythons check that the code runs the same
    there with a third of them. The browser tests (``tests/e2e``, headless Chromium) run on
    the oldest Python only: the later ones run the same storefront through its own tests
    (``tests/storefront``), and the browser's part does not change with the Python. Both
    keep a CI run of three Pythons within its time budget (on a 2-core Xeon, 25.3 minutes
    with the browser tests on every Python). ``HYPOTHESIS_PROFILE`` in the environment
    chooses for every Python. Extra arguments go to pytest, and then run as given on every
    Python: ``nox -s tests-3.12 -- -k lookup -x``, ``nox -s tests-3.13 -- tests/e2e``.
    """
    _install(session, "test")
    oldest = session.python == OLDEST_PYTHON
    profile = "ci" if oldest else "ci-quick"
    only_oldest = [] if oldest or session.posargs else ["--ignore=tests/e2e"]
    session.run(
        "pytest",
        "--strict-config",
        "--strict-markers",
        # One worker per core (pytest-xdist): the suite's process and server tests wait
        # on I/O as much as they compute. ``-n 0`` in the extra arguments runs it serially.
        "-n",
        "auto",
        *only_oldest,
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", profile)},
    )


@nox.session(python=OLDEST_PYTHON, default=False)
def lifecycle(session: nox.Session) -> None:
    """Run the order and account lifecycle machines long, as a nightly job does (not in
    every CI run).

    The ``nightly`` Hypothesis profile: 600 orders of up to 50 steps, random on each run,
    against the memory reference, SQLite and PostgreSQL (``ORDERSTATUS_TEST_POSTGRES``;
    skipped when unreachable, failed under ``CI=true``). A failure prints the
    ``@reproduce_failure`` blob that replays it. Extra arguments go to pytest.
    """
    _install(session, "test")
    session.run(
        "pytest",
        "--strict-config",
        "--strict-markers",
        "-k",
        "order_lifecycle or account_lifecycle",
        "tests/adapters/memory/test_memory.py",
        "tests/adapters/sqlite/test_contract.py",
        "tests/adapters/postgres/test_postgres_contract.py",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "nightly"},
    )


@nox.session(python=OLDEST_PYTHON)
def typecheck(session: nox.Session) -> None:
    """Check the core, the bundled adapters, the typing tests and the examples with
    ``mypy --strict``."""
    _install(session, "typecheck")
    session.run(
        "mypy",
        "--strict",
        "src/orderstatus_core",
        *ADAPTER_DIRS,
        "tests/typing",
        "examples",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Lint with ruff and check the formatting (fix with ``ruff check --fix``, ``ruff format``)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=OLDEST_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the HTML documentation into ``docs/_build/html``; any warning is an error.

    That includes a local link or ``#anchor`` that leads nowhere, in a page, in a docstring,
    in README.md or in CHANGELOG.md (``docs/_ext/local_links.py``). External URLs are not
    fetched: no network is assumed.
    """
    # The API reference documents orderstatus_core.testing and the Redis, labels, captcha
    # and argon2 adapters too.
    _install(session, "docs", package=".[testing,redis,labels,postgres,captcha,argon2]")
    # -E rereads every page: a reused build would not repeat an old page's warnings.
    session.run(
        "sphinx-build", "-W", "--keep-going", "-E", "-b", "html", "docs", "docs/_build/html"
    )


@nox.session(python=OLDEST_PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Compare every guest path with raw SQL at 10,000 orders, answers checked (issue 11).

    ``bench/run.py`` on SQLite and, if the server of ``ORDERSTATUS_TEST_POSTGRES`` answers,
    on PostgreSQL (else skipped, with the reason printed): find-order by email and phone,
    search by part and category, Order Look-Up and import, library against raw queries
    returning the same answers, in under two minutes, so that a change that slows a path
    shows in its numbers. Extra arguments replace the defaults, e.g. the full run:
    ``nox -s bench -- --sizes 10000,100000,1000000 --postgres URL``.
    Results are for reading and recording (``bench/RESULTS.md``), never asserted.
    """
    _install(session, package=".[postgres]")  # psycopg: nothing more is needed
    server = os.environ.get(
        "ORDERSTATUS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
    )
    quick = ["--sizes", "10000", "--postgres", server, "--postgres-sizes", "10000"]
    # 1000 targets and 2000 imported orders per store keep the whole session, building the
    # stores included, under two minutes on a loaded 2-core machine.
    quick += ["--queries", "1000", "--import-orders", "2000"]
    session.run("python", "bench/run.py", *(session.posargs or quick))


@nox.session(python=OLDEST_PYTHON, default=False)
def demo(session: nox.Session) -> None:
    """Run ``orderstatus demo`` in a fresh temporary folder, as the README's quick start does."""
    _install(session, package=".[labels,captcha,argon2]")
    with (
        tempfile.TemporaryDirectory(prefix="orderstatus-demo-") as folder,
        session.chdir(folder),
    ):
        session.run("orderstatus", "demo", *session.posargs)
