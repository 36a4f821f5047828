"""``python -m crackdown`` is the ``crackdown`` command."""

import sys

from crackdown.cli import main

sys.exit(main())
