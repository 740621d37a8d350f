// The behaviour map: Leaflet (shipped in /static/vendor), the Natural Earth base map from the
// node itself, tracks coloured by segment, events as markers, a time slider. Nothing external.
(function () {
  "use strict";
  const colours = ["#0b4f8a", "#c55a11", "#548235", "#7030a0", "#bf9000", "#a9333a", "#00807f"];
  const eventColour = {gap: "#7f7f7f", encounter: "#c00000", loitering: "#bf9000", port_call: "#1f4e79",
                       identity_change: "#7030a0", spoofing: "#ff0066", eez_transit: "#00807f"};
  const map = L.map("map", {worldCopyJump: true, preferCanvas: true}).setView([30, 130], 3);
  const status = document.getElementById("map-status");
  fetch("/api/map/land.geojson").then(r => r.json()).then(land => {
    L.geoJSON(land, {style: {color: "#8a8a8a", weight: 0.6, fillColor: "#f2efe9", fillOpacity: 1}, interactive: false}).addTo(map);
  });
  let layer = L.layerGroup().addTo(map);
  const legend = L.control({position: "bottomleft"});
  legend.onAdd = () => {
    const box = L.DomUtil.create("div", "map-legend");
    box.setAttribute("data-testid", "map-legend");
    box.innerHTML = "<strong>Events</strong><br>" + Object.entries(eventColour).map(([type, colour]) =>
      `<span class="swatch" style="background:${colour}"></span>${text(type.replace("_", " "))}`).join("<br>") +
      "<br><strong>Tracks</strong><br><span class=\"swatch line\"></span>a segment (colour changes where the track breaks)" +
      "<br><span class=\"swatch last\"></span>last position up to the chosen time" +
      "<br><span class=\"swatch assumed\"></span>heard at an assumed time (where, not when)";
    return box;
  };
  legend.addTo(map);
  let items = [];
  let range = [0, 0];
  const slider = document.getElementById("time-slider");
  const label = document.getElementById("time-label");

  function text(value) { const span = document.createElement("span"); span.textContent = value; return span.innerHTML; }

  function popup(e) {
    const rows = Object.entries(e.details).filter(([, v]) => v !== null && typeof v !== "object")
      .map(([k, v]) => `<tr><th>${text(k)}</th><td>${text(String(v))}</td></tr>`).join("");
    const other = e.other_mmsi ? ` with <a href="/vessels/${e.other_mmsi}">${e.other_mmsi}</a>` : "";
    return `<strong>${text(e.type)}</strong> · <a href="/vessels/${e.mmsi}">${e.mmsi}</a>${other}<br>` +
           `${text((e.start || "").slice(0, 16))} – ${text((e.end || "").slice(0, 16))}<table>${rows}</table>`;
  }

  function draw() {
    const limit = range[0] + (range[1] - range[0]) * slider.value / 1000;
    label.textContent = range[1] ? new Date(limit * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "";
    layer.clearLayers();
    let shown = 0;
    for (const item of items) {
      if (item.t > limit) continue;
      item.draw(layer, limit);
      shown += 1;
    }
    status.textContent = `${shown} of ${items.length} items up to the chosen time.`;
  }

  function load(params) {
    status.textContent = "Loading…";
    fetch("/api/map/data?" + params.toString()).then(r => r.ok ? r.json() : r.json().then(body => {
      const detail = Array.isArray(body.detail) ? body.detail.map(d => `${d.loc[d.loc.length - 1]}: ${d.msg}`).join("; ") : body.detail;
      throw new Error(detail || r.statusText);
    })).then(data => {
      items = [];
      const times = [];
      const bounds = [];
      for (const [mmsi, track] of Object.entries(data.tracks)) {
        const assumed = track.assumed || {lat: [], lon: [], count: 0};
        if (assumed.lat.length) {  // where it was heard, not when: shown whatever the chosen time
          items.push({t: -Infinity, draw: group => {
            for (let i = 0; i < assumed.lat.length; i++) {
              bounds.push([assumed.lat[i], assumed.lon[i]]);
              L.circleMarker([assumed.lat[i], assumed.lon[i]], {radius: 3, color: "#666", weight: 1, dashArray: "2 2", fillOpacity: 0})
                .bindTooltip(`MMSI ${mmsi}: heard here at a time assumed for its whole log (${assumed.count} such fixes)`).addTo(group);
            }
          }});
        }
        if (!track.t.length) continue;
        const t0 = track.t[0];
        times.push(t0, track.t[track.t.length - 1]);
        items.push({t: t0, draw: (group, limit) => {
          let current = [], segment = track.segment[0];
          const colour = () => colours[segment % colours.length];
          const flush = () => {
            if (current.length > 1) {
              L.polyline(current, {color: colour(), weight: 2, opacity: 0.8}).bindTooltip(`MMSI ${mmsi}, segment ${segment}`).addTo(group);
            } else if (current.length === 1) {  // a segment of one fix is still where the vessel was
              L.circleMarker(current[0], {radius: 2, color: colour(), weight: 2}).bindTooltip(`MMSI ${mmsi}, segment ${segment} (one fix)`).addTo(group);
            }
          };
          let last = null;
          for (let i = 0; i < track.t.length && track.t[i] <= limit; i++) {
            if (track.segment[i] !== segment) { flush(); current = []; segment = track.segment[i]; }
            current.push([track.lat[i], track.lon[i]]);
            bounds.push([track.lat[i], track.lon[i]]);
            last = i;
          }
          flush();
          if (last !== null) {
            L.circleMarker([track.lat[last], track.lon[last]], {radius: 4, color: "#111", fillColor: "#fff", fillOpacity: 1, weight: 2})
              .bindTooltip(`MMSI ${mmsi}: last position ${new Date(track.t[last] * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`)
              .addTo(group);
          }
        }});
      }
      for (const e of data.events) {
        const t = Date.parse(e.start || e.end) / 1000;
        times.push(t);
        bounds.push([e.lat, e.lon]);
        items.push({t: t, draw: group => L.circleMarker([e.lat, e.lon], {radius: 6, color: eventColour[e.type] || "#000", weight: 2,
                                                                         fillOpacity: 0.6}).bindPopup(popup(e)).addTo(group)});
      }
      range = times.length ? [Math.min(...times), Math.max(...times)] : [0, 0];
      slider.value = 1000;
      draw();
      if (bounds.length) map.fitBounds(bounds, {maxZoom: 9, padding: [20, 20]});
    }).catch(err => { status.textContent = "Could not load the map data: " + err.message; });
  }

  slider.addEventListener("input", draw);
  const form = document.getElementById("map-filters");
  const initial = new URLSearchParams(location.search);
  if (initial.get("mmsi")) form.mmsi.value = initial.get("mmsi");
  function params() {
    const p = new URLSearchParams();
    for (const box of form.querySelectorAll("input[name=type]:checked")) p.append("type", box.value);
    if (form.mmsi.value) p.set("mmsi", form.mmsi.value);
    return p;
  }
  form.addEventListener("submit", ev => { ev.preventDefault(); load(params()); });
  load(params());
  window.interdictMap = map;
})();
