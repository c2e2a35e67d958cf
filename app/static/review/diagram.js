/* Draw a process version with bpmn-js and mark it: one complaint's path (data-mode="instance")
   or, on the dashboard, per-activity counts and median times (data-mode="heatmap"). */
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  var dataNode = document.getElementById("diagram-data");
  if (!container || !dataNode || !window.BpmnJS) { return; }
  var data = JSON.parse(dataNode.textContent || "{}");
  var viewer = new window.BpmnJS({ container: container });

  function markInstance(canvas, registry, overlays) {
    var marked = {};
    function mark(id, cls) {
      if (registry.get(id)) { canvas.addMarker(id, cls); marked[id] = true; }
    }
    Object.keys(data.completed || {}).forEach(function (id) {
      mark(id, "cf-done");
      if (data.completed[id] > 1 && registry.get(id)) {
        overlays.add(id, { position: { top: -12, right: 12 }, html: "<span class='cf-count'>×" + data.completed[id] + "</span>" });
      }
    });
    (data.active || []).forEach(function (id) { mark(id, "cf-active"); });
    (data.late || []).forEach(function (id) { mark(id, "cf-late"); });
    // A raised escalation means the boundary timer in front of it fired: a breached deadline.
    (data.escalations || []).forEach(function (id) {
      var task = registry.get(id);
      (task && task.incoming || []).forEach(function (flow) {
        var timer = flow.source;
        if (timer && timer.type === "bpmn:BoundaryEvent") {
          mark(timer.id, "cf-breached");
          if (timer.host) { mark(timer.host.id, "cf-late"); }
        }
      });
    });
    registry.filter(function (el) { return el.waypoints && el.source && el.target; }).forEach(function (flow) {
      if (marked[flow.source.id] && marked[flow.target.id]) { canvas.addMarker(flow.id, "cf-path"); }
    });
    container.setAttribute("data-marked", Object.keys(marked).length);
  }

  function heatmap(registry, overlays) {
    var medians = Object.keys(data).map(function (id) { return data[id].median_hours || 0; });
    var top = Math.max.apply(null, medians.concat([1]));
    var shown = 0;
    Object.keys(data).forEach(function (id) {
      var cell = data[id];
      if (!registry.get(id)) { return; }
      var level = cell.median_hours ? Math.min(3, Math.ceil(3 * cell.median_hours / top)) : 0;
      var median = cell.median_hours === null ? "–" : cell.median_hours.toFixed(1) + " sa";
      var span = document.createElement("span");
      span.className = "cf-heat h" + level;
      span.textContent = cell.count + " · " + median + (cell.active ? " · " + cell.active + "⏳" : "");
      overlays.add(id, { position: { bottom: 8, left: 0 }, html: span });
      shown += 1;
    });
    container.setAttribute("data-marked", shown);
  }

  fetch(container.getAttribute("data-xml-url"), { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport");
      if (container.getAttribute("data-mode") === "heatmap") {
        heatmap(viewer.get("elementRegistry"), viewer.get("overlays"));
      } else {
        markInstance(canvas, viewer.get("elementRegistry"), viewer.get("overlays"));
      }
      container.setAttribute("data-ready", "1");
    })
    .catch(function (error) {
      container.setAttribute("data-error", String(error));
      container.textContent = "Diyagram yüklenemedi.";
    });
})();
