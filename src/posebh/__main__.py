"""``python -m posebh`` = the ``posebh`` command line (Kedro runs through ``kedro run``)."""

from posebh.commands import main

if __name__ == "__main__":
    raise SystemExit(main())
