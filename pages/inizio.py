"""The root URL "/": opens the Panoramica at /panoramica, keeping the URL parameters."""
from ui.views.panoramica import open_from_root

open_from_root()
