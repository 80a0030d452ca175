// Draws the admin's maps: each .rw-map names a json_script element holding {tile_url, attribution, lines}.
// The map and its polylines stay on the element (element.rwMap) so a browser test can read what was drawn.
"use strict";
(function () {
  const STYLES = {
    figure: {color: "#e8590c", weight: 5, opacity: 0.9},
    approach: {color: "#868e96", weight: 4, dashArray: "8 8", opacity: 0.9},
    outline: {color: "#1971c2", weight: 3, dashArray: "6 6", opacity: 0.9},
    track: {color: "#c2255c", weight: 4, opacity: 0.85},
    planned: {color: "#2f9e44", weight: 5, opacity: 0.6},
  };

  function drawMap(element) {
    const data = JSON.parse(document.getElementById(element.dataset.mapData).textContent);
    const map = L.map(element, {scrollWheelZoom: false});
    L.tileLayer(data.tile_url, {maxZoom: 19, attribution: data.attribution}).addTo(map);
    const overlays = {};
    const polylines = [];
    let bounds = null;
    for (const line of data.lines) {
      const polyline = L.polyline(line.coordinates, STYLES[line.style] || STYLES.figure);
      polyline.rwLabel = line.label;
      polyline.rwStyle = line.style;
      overlays[line.label] = polyline;
      polylines.push(polyline);
      if (line.shown) {
        polyline.addTo(map);
        bounds = bounds ? bounds.extend(polyline.getBounds()) : L.latLngBounds(polyline.getBounds());
      }
    }
    if (data.start) {
      L.circleMarker(data.start, {radius: 6, color: "#2b8a3e", fillOpacity: 1}).bindTooltip(data.start_label).addTo(map);
    }
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    map.fitBounds(bounds || polylines[0].getBounds(), {padding: [20, 20]});
    element.rwMap = {map: map, polylines: polylines};
  }

  function drawAll() {
    document.querySelectorAll(".rw-map").forEach(drawMap);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
