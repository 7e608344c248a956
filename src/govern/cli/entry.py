"""The console script: ``govern`` starts here, so that Ctrl-C is answered even while importing.

A Ctrl-C while Python imports the command line (before any command runs, when nothing can have
been written) would otherwise end the process with a traceback or the bare signal.
"""

from __future__ import annotations

import sys


def run() -> None:
    """Import the command line and run it; exit 130 with one sentence on Ctrl-C meanwhile."""
    try:
        from govern.cli.main import run as main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing was written.\n")
        raise SystemExit(130) from None
    main()
