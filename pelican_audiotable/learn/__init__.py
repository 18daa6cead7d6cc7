"""Learning a clip: what its bytes say (read, decoded, measured) and the copies
made of it. Everything here may run in the pool's worker processes; the byte
parsers are beneath it, in :mod:`.parsers`."""
