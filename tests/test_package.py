"""Process-wide settings made when vidrec is imported."""

import os
import subprocess
import sys


def _wait_policy(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | env_extra
    out = subprocess.run([sys.executable, "-c", "import vidrec, os; print(os.environ.get('OMP_WAIT_POLICY'))"],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_openmp_threads_do_not_spin_by_default():
    assert _wait_policy({}) == "PASSIVE"


def test_a_users_own_wait_policy_is_kept():
    assert _wait_policy({"OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
