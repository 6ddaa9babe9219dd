"""A poster drawn in a child process: ``python -m ltx_notebook._storage.poster_child``.

Its own module, so running it does not import :mod:`.media` twice (once as the
package's, once as ``__main__``). Why a child at all: :func:`.media.poster`.
"""

import sys

from .media import draw_poster_file

if __name__ == "__main__":
    sys.exit(draw_poster_file(sys.argv[1:]))
