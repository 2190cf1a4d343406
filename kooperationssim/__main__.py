"""Allow ``python -m kooperationssim``."""

import sys

from .cli import main

sys.exit(main())
