"""Kept for the modules that import the follow-up layer from here: the layer
lives in ``common.py``."""

from .common import RUN_DATE, RUN_NOW, GentleFollowupCommon

__all__ = ["RUN_DATE", "RUN_NOW", "GentleFollowupCommon"]
