"""Digests: their kinds and text forms (digests), one read of a stream into MD5, SHA-1 and SHA-256 (streams),
and MD5 of many files at once in SIMD lanes (md5_lanes, over the C module _multimd5)."""
