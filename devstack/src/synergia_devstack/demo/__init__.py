"""`make demo`: a realistic synthetic data set, loaded through the registry's public API."""

from synergia_devstack.demo.loader import DemoError, DemoReport, load, load_into
from synergia_devstack.demo.plan import DemoPlan, DemoSize, generate

__all__ = ["DemoError", "DemoPlan", "DemoReport", "DemoSize", "generate", "load", "load_into"]
