/* The diff page: draw the newer version and mark added (green) and changed (orange) elements. */
(function () {
  "use strict";
  var dataNode = document.getElementById("diff-data");
  var container = document.getElementById("canvas");
  if (!dataNode || !container || !window.BpmnJS) { return; }
  var data = JSON.parse(dataNode.textContent);
  function getJSON(url) { return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }); }
  getJSON(data.descriptor_url).then(function (descriptor) {
    var viewer = new window.BpmnJS({ container: container, moddleExtensions: { spiffworkflow: descriptor } });
    return getJSON(data.source_url).then(function (source) {
      return viewer.importXML(source.bpmn).then(function () {
        var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
        window.CF.fitBesidePalette(canvas, container);
        window.CF.zoomButtons(canvas, container, document);
        data.added.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "cf-added"); } });
        data.changed.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "cf-changed"); } });
        container.setAttribute("data-ready", "1");
      });
    });
  });
})();
