"""The one C extension, vigilant.hashing._multimd5 (MD5 of several files at once in SIMD lanes: triage's digests-only
pass spends more than half its time in MD5). Everything else is declared in pyproject.toml.

Optional: where it cannot be built, triage uses hashlib's MD5 (same digests, slower) and says so.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "vigilant.hashing._multimd5",
            sources=["src/vigilant/hashing/_multimd5.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
