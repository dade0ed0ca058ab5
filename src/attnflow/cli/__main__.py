"""``python -m attnflow.cli`` runs the command line."""

from . import main

main()
