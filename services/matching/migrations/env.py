from synergia_matching.db import metadata
from synergia_shared.messaging.tables import messaging_metadata
from synergia_shared.migrations import run_env

run_env([metadata, messaging_metadata])
