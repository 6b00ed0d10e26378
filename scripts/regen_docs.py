"""Regenerate the output snippets in README.md and docs/admin.md from real runs.

    .venv-test/bin/python scripts/regen_docs.py                 # every snippet
    .venv-test/bin/python scripts/regen_docs.py config-show     # only the named ones

The snippets are the blocks between `<!-- generated: NAME -->` and `<!-- /generated -->`; the
generators live in tests/doccheck.py, where the tests that keep the docs current use them too.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.doccheck import main  # the checkout must be on the path first

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
