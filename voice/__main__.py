"""Entry point for ``python -m voice``."""

import sys

from voice.cli import main

sys.exit(main())
