"""`python -m softphone.cli`: the same as the `softphone` command."""

import sys

from softphone.cli.main import main

sys.exit(main())
