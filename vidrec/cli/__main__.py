"""`python -m vidrec.cli`."""

from vidrec.cli.main import main

if __name__ == "__main__":
    main()
