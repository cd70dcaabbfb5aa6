"""Settings of the benchmarks' servers: the production settings plus a bench-only URL."""

from config.settings.base import *  # noqa: F403 -- the same settings, one URL more

ROOT_URLCONF = "bench.urls"
