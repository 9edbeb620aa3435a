"""docchat's Azure Functions app (Python v2 programming model): built from Blueprints.

The settings are read here, at import, so a bad configuration stops the app at start-up;
everything else is in :mod:`functions` (the wiring), :mod:`chat` (the domain) and
:mod:`realtime` (the backends).
"""

import logging
import os

from functions import create_app

# The Azure SDKs log every HTTP request's headers at INFO: noise in Application Insights.
logging.getLogger("azure").setLevel(logging.WARNING)

app = create_app(os.environ)
