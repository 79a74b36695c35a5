"""``python -m ttsservice`` runs the command line."""

from ttsservice.cli import main

raise SystemExit(main())
