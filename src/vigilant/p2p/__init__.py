"""P2P observation: BitTorrent discovery and confirmation, the hash-chained session log, imports."""
