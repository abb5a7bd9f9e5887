"""The demonstration behind ``make demo`` and what it generates, kept apart from the domains.

- :mod:`~vigilant.demo.run`: the demo itself, through the real command line (``vigilant demo``);
- :mod:`~vigilant.demo.pictures`: benign pictures drawn from a seed (also used by tests and benchmarks);
- :mod:`~vigilant.demo.video`: benign videos, a known one and a re-encoded copy;
- :mod:`~vigilant.demo.swarm`: a libtorrent seeder of synthetic bytes on 127.0.0.1;
- :mod:`~vigilant.demo.operation`: the province-wide operation, generated through the cases services;
- :mod:`~vigilant.demo.users`: one login per role, and their TOTP codes (demo users only);
- :mod:`~vigilant.demo.server`: the background web server;
- :mod:`~vigilant.demo.folder`: the demo's own folder, never wiped without a word.

No domain imports this package.
"""
