"""The command line (``inspect``, ``check``, ``results add``, ``serve``) and the
preview server."""
