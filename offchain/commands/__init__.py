"""The ``datashare`` command groups beyond the file-sharing core of :mod:`offchain.cli`.

Each module here is one group (``consortium``, ``ledger``, ``market``) and exposes
``register(commands)``, which adds its sub-parser to the top-level ``commands`` sub-parsers;
:func:`offchain.cli.build_parser` calls it. The commands reuse :mod:`offchain.cli`'s output,
connection, account and keystore helpers and its exit codes.
"""
