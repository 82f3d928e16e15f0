"""``python -m tui`` runs chaindoctor."""

import sys

from .cli import main

sys.exit(main())
