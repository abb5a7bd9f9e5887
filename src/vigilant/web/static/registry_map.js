// The registry map (Leaflet, vector layers only): facilities with their proximity circle, and one marker per
// registrant coloured by compliance; a click on a registrant opens its obligations summary and a link to its
// page. Tiles only from the unit's own server (VIGILANT_MAP_TILES); without one, a plain background. The popup
// is built with DOM nodes and textContent: names and addresses never become HTML.
(function () {
  "use strict";
  var node = document.getElementById("registry-map-data");
  var container = document.getElementById("registry-map");
  if (!window.L || !node || !container) { return; }
  var data = JSON.parse(node.textContent);
  var map = window.L.map(container, { attributionControl: Boolean(data.tiles), preferCanvas: false });
  if (data.tiles) {
    window.L.tileLayer(data.tiles, { maxZoom: 19, attribution: "unit tile server" }).addTo(map);
  }
  var bounds = [];
  var facilities = window.L.layerGroup().addTo(map);
  data.facilities.forEach(function (f) {
    var at = [f.lat, f.lon];
    bounds.push(at);
    window.L.circle(at, { radius: data.radius_m, className: "facility-radius", interactive: false })
      .addTo(facilities);
    window.L.circleMarker(at, { radius: 5, className: "facility-marker facility-" + f.kind })
      .bindTooltip(f.kind.replace("_", " ") + ": " + f.name).addTo(facilities);
  });

  function line(parent, tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) { el.className = cls; }
    parent.appendChild(el);
    return el;
  }

  function summary(r) {
    var box = document.createElement("div");
    box.className = "registrant-popup";
    line(box, "strong", r.number + " — " + r.name);
    var dl = document.createElement("dl");
    [["Status", r.status.replace("_", " ")], ["Next due", r.next_due || "none"], ["Why", r.reason],
     ["Rule", r.rule || "—"], ["Order ends", r.order_ends_on || "life"], ["Office", r.office],
     ["Area", r.area]].forEach(function (pair) {
      line(dl, "dt", pair[0]);
      line(dl, "dd", pair[1]);
    });
    box.appendChild(dl);
    var ul = document.createElement("ul");
    r.addresses.forEach(function (a) {
      line(ul, "li", a.kind + ": " + a.line + (a.organisation ? " (" + a.organisation + ")" : ""));
    });
    box.appendChild(ul);
    var link = line(box, "a", "Open the registrant's page");
    link.href = r.url;
    return box;
  }

  var registrants = window.L.layerGroup().addTo(map);
  data.registrants.forEach(function (r) {
    var at = [r.lat, r.lon];
    bounds.push(at);
    window.L.circleMarker(at, { radius: 7, className: "registrant-marker status-" + r.status })
      .bindTooltip(r.number + " " + r.name)
      .bindPopup(function () { return summary(r); })
      .addTo(registrants);
  });
  if (bounds.length) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
  } else {
    map.setView([0, 0], 2);
  }
  container.dataset.registrants = String(data.registrants.length);
  container.dataset.ready = "1";
}());
