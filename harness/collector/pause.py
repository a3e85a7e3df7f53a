"""The inspector's pause lock: held while a heap snapshot stops the target's JavaScript.

The Node probe waits for it rather than timing out and reconnecting: closing any inspector
session makes V8 forget the object ids that tell a heap snapshot's new objects from old ones.
"""

import threading

INSPECTOR_PAUSE = threading.Lock()
