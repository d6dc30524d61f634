"""Run `keepwarm` (cli.main:main) or the nightly flow in this process and SIGKILL it at a chosen
point: the fault tests start it as a subprocess. Nothing here is imported by keepwarm.

    python tests/faults/killer.py POINT -- keepwarm arguments…
    python tests/faults/killer.py POINT -- nightly CONFIG

POINT is "none", or KIND:N[:SECONDS]:
- boundary:N — right after the N-th batch was committed (a batch boundary);
- commit:N   — inside the N-th batch's transaction, after its rows were written, before the
               commit (mid-batch: the transaction is lost);
- timer:N:S  — S seconds after the N-th batch was committed (mid-read, mid-fetch…);
- sent:N     — right after the N-th digest email was accepted by the SMTP server, before
               the ledger says so (the uncertain case);
- sending:N  — while the N-th digest email is being handed over (before the server's reply);
- before:N   — as the N-th digest email is about to be sent (reserved in the ledger, not sent).
$KW_BATCH sets the connectors' batch size (default: the sources' own).
"""

from __future__ import annotations

import os
import signal
import smtplib
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    if point == "none":
        return
    kind, _, rest = point.partition(":")
    number, _, seconds = rest.partition(":")
    target = int(number)
    count = [0]

    if kind in ("boundary", "commit", "timer"):
        import models.store as store_module

        original_apply = store_module.Store.apply_batch
        original_save = store_module._save_state

        def save(*args: Any, **kwargs: Any) -> None:
            original_save(*args, **kwargs)
            if kind == "commit" and count[0] + 1 == target:
                die()  # the batch's rows are written, its transaction is not committed

        def apply(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original_apply(self, *args, **kwargs)
            count[0] += 1
            if count[0] == target:
                if kind == "boundary":
                    die()
                if kind == "timer":
                    threading.Timer(float(seconds or 0.1), die).start()
            return result

        store_module._save_state = save
        store_module.Store.apply_batch = apply  # type: ignore[method-assign]
    elif kind in ("sent", "sending", "before"):
        original_send = smtplib.SMTP.send_message

        def send_message(self: smtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
            count[0] += 1
            if count[0] == target and kind == "before":
                die()
            if count[0] == target and kind == "sending":
                threading.Timer(0.05, die).start()  # the server sits on its reply meanwhile
            result = original_send(self, *args, **kwargs)
            if count[0] == target and kind == "sent":
                die()
            return result

        smtplib.SMTP.send_message = send_message  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown kill point {point!r}")


def sized_batches() -> None:
    size = os.environ.get("KW_BATCH")
    if not size:
        return
    import ingest.sync
    from connectors.registry import build_connector
    from connectors.source import BuildOptions

    def build(account: Any, me: Any, options: Any = None) -> Any:
        return build_connector(account, me, BuildOptions(batch_size=int(size)))

    ingest.sync.build_connector = build  # type: ignore[assignment]


def main() -> None:
    point, separator, *args = sys.argv[1:]
    assert separator == "--", sys.argv
    sized_batches()
    arm(point)
    if args[0] == "nightly":
        from flows.nightly import nightly

        result = nightly(args[1])
        print([(d["recipient"], d["status"]) for d in result["delivered"]], flush=True)
        return
    from cli.main import main as keepwarm

    sys.argv = ["keepwarm", *args]
    keepwarm()


if __name__ == "__main__":
    main()
