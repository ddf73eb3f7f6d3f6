"""`python -m bot` is the same as `archive-bot`.

May import: bot.cli.
"""

import sys

from .cli import main

sys.exit(main())
