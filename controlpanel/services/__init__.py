"""Services: every write and side effect of the panel, as keyword-only ``<entity>_<action>`` functions."""
