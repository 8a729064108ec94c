"""The measuring-system profiles now live in the store (:mod:`store.profiles`): saving one is a write with
its audit event, and the loader saves the workbook's sheet without calling up into metrics. Re-exported
here for old imports."""
from store.profiles import (OVERRIDE, PRESETS, SOURCES, StoredProfile, current_profile,  # noqa: F401
                            profile_history, profile_label, profile_version, resolve, save_profile)

__all__ = ["OVERRIDE", "PRESETS", "SOURCES", "StoredProfile", "current_profile", "profile_history",
           "profile_label", "profile_version", "resolve", "save_profile"]
