"""The AWS API emulator of the local services: moto's server with the additions in this folder.

Run as `python server.py -H 127.0.0.1 -p PORT` (the same arguments as `moto_server`); MOTO_ACCOUNT_ID selects
the account it answers as. Each addition fills a gap of moto that the deployed stacks need and is documented
in scripts/local/services/README.md.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import eventbridge_sns_targets  # noqa: E402
import policy_conditions  # noqa: E402
from moto.server import main  # noqa: E402

if __name__ == "__main__":
    eventbridge_sns_targets.install()
    policy_conditions.install()
    main(sys.argv[1:])
