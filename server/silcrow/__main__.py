"""``python -m silcrow``: the same entry point as the ``silcrow`` console script."""

from silcrow.cli import main

if __name__ == "__main__":
    main()
