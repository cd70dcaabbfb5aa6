"""The maps of alerts: drawing an alert's area, and the implementation map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from branca.element import MacroElement
from django.utils.translation import gettext as _
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.maps import RenderedMap, base_map, render_map, static_url
from geo.selectors import city_point

# Where a map without data centres when no city boundary is imported (Kaiserslautern's centre).
FALLBACK_CENTRE = (49.4447, 7.7689)


def centre() -> list[float]:
    point = city_point()
    return [point.y, point.x] if point is not None else list(FALLBACK_CENTRE)


class AreaDrawer(JSCSSMixin, MacroElement):
    """Clicks on the map draw the polygon of an area alert into the form's text field."""

    default_js = [("mitmachkarte_draw", static_url("js/mitmachkarte-draw.js"))]

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            MitmachkarteDraw.attach({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "AreaDrawer"
        self.options = dict(options)


def draw_map() -> RenderedMap:
    m = base_map(
        label=_("Map for drawing the area: each click adds a corner"),
        css_class="mmk-map--project",
        location=centre(),
        zoom_start=13,
    )
    AreaDrawer(
        {
            "field": "id_drawn",
            "status": "draw-status",
            "undo": "draw-undo",
            "restart": "draw-restart",
            "kind": "input[name=kind][value=drawn]",
            "labels": {
                "start": _("Click the map to set the corners of your area."),
                "more": _("%(count)s more corner(s) needed."),
                "ready": _("Area with %(count)s corners drawn; it is in the field below."),
            },
        }
    ).add_to(m)
    return render_map(m)
