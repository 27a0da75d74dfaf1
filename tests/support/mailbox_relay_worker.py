"""A relay the mailbox kill test starts as a process and SIGKILLs while it writes mail.

``python mailbox_relay_worker.py STORAGE_URL FOLDER SEED``: relays the outbox into the
mailbox FOLDER, five messages a batch, until nothing is due (or it is killed).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from orderstatus_core import OrderStatus


def main(storage: str, folder: str, seed: int) -> None:
    """Relay until nothing is due, each rename of a written mail delayed at random."""
    rng = random.Random(seed)
    rename = os.replace

    def slow_rename(source: str, target: str) -> None:
        # Widens the moment between writing a mail and renaming it into place, where a
        # kill hurts, so that most kills land in a write (the adapter itself never waits).
        time.sleep(rng.uniform(0, 0.02))
        rename(source, target)

    os.replace = slow_rename  # type: ignore[assignment]
    mail = f"mailbox:///{Path(folder).resolve().as_posix()}"
    with OrderStatus.open(storage=storage, mail=mail) as desk:
        print("ready", flush=True)
        while desk.relay_outbox(limit=5).sent:
            pass


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
