"""Entry point for ``python -m voice``."""

import sys

from voice.apps.cli import main

if __name__ == "__main__":
    sys.exit(main())
