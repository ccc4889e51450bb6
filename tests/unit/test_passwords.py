"""The password hashes a real process makes: argon2id with argon2-cffi's defaults, RFC 9106's
low-memory recommendation (the other tests hash with cheaper parameters: tests/conftest.py)."""

import subprocess
import sys

from opencat.catalog import passwords

HASH_AND_CHECK = """
from opencat.catalog.passwords import hash_password, needs_rehash, verify_password
hashed = hash_password("a long pass phrase")
assert verify_password(hashed, "a long pass phrase") and not verify_password(hashed, "another")
assert not needs_rehash(hashed)
print(hashed)
"""


def test_a_process_hashes_with_rfc_9106_low_memory_parameters() -> None:
    done = subprocess.run([sys.executable, "-c", HASH_AND_CHECK], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_of_cheaper_parameters_is_accepted_then_renewed() -> None:
    """A hash made with other parameters (an older setting, or these tests' own) still signs in,
    and is marked for rehashing under the current ones."""
    cheap = passwords.hash_password("a long pass phrase")
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.verify_password(cheap, "a long pass phrase")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from opencat.catalog.passwords import needs_rehash, verify_password; "
            "assert verify_password(sys.argv[1], 'a long pass phrase'); print(needs_rehash(sys.argv[1]))",
            cheap,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "True"
