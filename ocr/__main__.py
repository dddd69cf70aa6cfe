"""``python -m ocr`` runs the command-line tool."""

from ocr.cli import main

main()
