"""The scripts and styles report.html inlines: uPlot from the pinned npm package (installed by
`make setup` into harness/report/js/node_modules, never copied into the tree) and our own glue.

uPlot was chosen by measurement: the same 76 charts of a 24 h report at 1 Hz (the same decimated
series), each library inlined, drawn in headless Chromium on this 2-core machine under load:
uPlot 1.6.32 2.9 MiB, painted in 1.2-2.3 s; plotly 6.3.0 7.4 MiB, 7.4-14.5 s; bokeh 3.8.0 (inline
resources) 4.3 MiB, 21-27 s. uPlot's 51 KB is the smallest by far and the only one drawing a day in
a few seconds; it also brings the cursor sync and drag-to-zoom the report needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

JS_DIR = Path(__file__).parent / "js"
UPLOT_DIST = JS_DIR / "node_modules" / "uplot" / "dist"
UPLOT_JS = UPLOT_DIST / "uPlot.iife.min.js"
UPLOT_CSS = UPLOT_DIST / "uPlot.min.css"
OWN_JS = JS_DIR / "report.js"
OWN_CSS = JS_DIR / "report.css"


@dataclass(frozen=True)
class Assets:
    script: str  # uPlot, then our code
    style: str
    missing: str | None = None  # why the charts cannot be drawn, for the page to say so


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def assets() -> Assets:
    """The inlined code; without uPlot the page still has every table and says how to get charts."""
    own_js, own_css = _read(OWN_JS), _read(OWN_CSS)
    try:
        library_js, library_css = _read(UPLOT_JS), _read(UPLOT_CSS)
    except OSError:
        why = f"the chart library is not installed ({UPLOT_JS} missing): run `make setup`, then `soak report RUN_DIR`"
        return Assets("", own_css, why)
    # A script element ends at the first "</script": neither file has one, but stay safe.
    return Assets(f"{library_js}\n{own_js}".replace("</script", "<\\/script"), f"{library_css}\n{own_css}")
