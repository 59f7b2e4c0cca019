"""A user querying the warehouse in another process: opens it read-only, queries, holds, repeats.

usage: python concurrent_reader.py DB STOP_FILE HOLD_S PAUSE_S
Prints one line per query: the article count it saw. Exits when STOP_FILE exists.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipeline.store.warehouse import Warehouse


def main() -> None:
    db, stop, hold_s, pause_s = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    print("ready", flush=True)
    while not stop.exists():
        with Warehouse(db).connect(read_only=True) as con:  # retries while the job writes
            print(con.execute("SELECT count(*) FROM articles").fetchone()[0], flush=True)
            time.sleep(hold_s)  # the user looks at the result with the file still open
        time.sleep(pause_s)


if __name__ == "__main__":
    main()
