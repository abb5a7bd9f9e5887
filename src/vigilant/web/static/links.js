// The link graph (cytoscape.js, fcose layout) of the view the page's tables list; a click on a node you may
// see centres the page on it. Hidden records are grey and lead nowhere: the server sent nothing of them.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("links-data").textContent);
  var container = document.getElementById("links-graph");
  if (!window.cytoscape || !container) { return; }
  if (window.cytoscapeFcose) { window.cytoscape.use(window.cytoscapeFcose); }
  var elements = [];
  data.entities.forEach(function (e) {
    elements.push({ data: { id: e.handle, label: e.visible ? e.label : "held by " + (e.agency || "another agency"),
                            kind: e.kind, key: e.key || "", visible: e.visible ? 1 : 0 } });
  });
  data.links.forEach(function (l, i) {
    elements.push({ data: { id: "l" + i, source: l.source, target: l.target, kind: l.kind,
                            weight: l.weight } });
  });
  var colours = { person: "#1f5fa8", device: "#7a3e9d", "case": "#2e7d32", agency: "#555", identifier: "#b35c00",
                  camera: "#8d6e00", lead: "#b00020", series: "#00695c", record: "#9e9e9e" };
  var cy = window.cytoscape({
    container: container,
    elements: elements,
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 10, "text-wrap": "ellipsis",
                                   "text-max-width": 120, "background-color": function (n) {
                                     return colours[n.data("kind")] || "#333"; } } },
      { selector: "node[visible = 0]", style: { shape: "round-rectangle", "border-style": "dashed",
                                                "border-width": 2, "border-color": "#555" } },
      { selector: "edge", style: { width: function (e) { return Math.min(8, 1 + Math.log(1 + e.data("weight"))); },
                                   "line-color": "#999", "curve-style": "bezier", label: "data(kind)",
                                   "font-size": 8, color: "#555" } }
    ],
    layout: { name: window.cytoscapeFcose ? "fcose" : "cose", animate: false, randomize: true }
  });
  cy.on("tap", "node", function (evt) {
    var n = evt.target;
    if (!n.data("visible")) { return; }
    // The links page keeps its filters; another page (an operation's network) opens the node's neighbourhood.
    var page = container.getAttribute("data-entity-page");
    var params = new URLSearchParams(page ? "" : window.location.search);
    params.set("entity", n.data("key"));
    if (page) { window.location.href = page + "?" + params.toString(); } else { window.location.search = params.toString(); }
  });
  window.vigilantLinks = cy;  // for the browser tests
})();
