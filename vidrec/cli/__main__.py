"""`python -m vidrec.cli`."""

from vidrec.cli.main import main

main()
