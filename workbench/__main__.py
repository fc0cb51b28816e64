"""``python -m workbench`` does what the ``workbench`` command does."""

import sys

from workbench.cli.main import main

sys.exit(main())
