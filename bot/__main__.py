"""`python -m bot` is the `bouncecheck` command."""

import sys

from bot.cli import main

sys.exit(main())
