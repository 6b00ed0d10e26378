"""PyInstaller run-time hook: register OpenSSL digests in pjsua2's libcrypto, as its package does.

pjsua2/__init__.py looks for its libcrypto beside the package or in pjsua2_python.libs; in the
bundle PyInstaller puts it at the top of the bundle, where that search misses it and TLS
certificate checks would lack their digests. Loading it by path first also makes it the copy
that the extension links against.
"""

import ctypes
import glob
import os
import sys

for _path in glob.glob(os.path.join(getattr(sys, "_MEIPASS", ""), "libcrypto-*.so*")):
    ctypes.CDLL(_path).OpenSSL_add_all_digests()
    break
