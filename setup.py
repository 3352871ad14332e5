"""The build's one part pyproject.toml cannot declare (setuptools' table for it is still
experimental): the name recogniser's decoder, a C extension (services/wirestream/enricher/
_crf.c: plain C on the CPython API, no numpy headers), which any C compiler builds at
install."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "wirestream.enricher._crf",
            ["services/wirestream/enricher/_crf.c"],
            extra_compile_args=["-O2"],
        )
    ]
)
