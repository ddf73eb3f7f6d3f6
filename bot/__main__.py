"""`python -m bot` is the same as `archive-bot`."""

import sys

from .cli import main

sys.exit(main())
