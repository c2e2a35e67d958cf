/* Draw a process version with bpmn-js and mark it: one complaint's path (data-mode="instance")
   or, on the dashboard, each step coloured by its load with breaches outlined (data-mode="heatmap").
   The diagram fits its box; the buttons beside it zoom in, out and back to fit. A box without a
   size yet (its stylesheet still loading) is fitted once it gets one: bpmn-js cannot fit into 0×0. */
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

  // Load is what a step has handled plus what waits there; the busiest step is level 3.
  function heatmap(canvas, registry, overlays) {
    var loads = Object.keys(data).map(function (id) { return (data[id].count || 0) + (data[id].active || 0); });
    var top = Math.max.apply(null, loads.concat([1]));
    var shown = 0;
    Object.keys(data).forEach(function (id) {
      var cell = data[id];
      if (!registry.get(id)) { return; }
      var load = (cell.count || 0) + (cell.active || 0);
      var level = load ? Math.max(1, Math.ceil(3 * load / top)) : 0;
      canvas.addMarker(id, "cf-load" + level);
      if (cell.late) { canvas.addMarker(id, "cf-breach"); }
      var span = document.createElement("span");
      span.className = "cf-heat h" + level + (cell.late ? " late" : "");
      span.textContent = cell.text;
      overlays.add(id, { position: { bottom: 8, left: 0 }, html: span });
      shown += 1;
    });
    container.setAttribute("data-marked", shown);
  }

  var fittedTo = "";

  function fit(canvas) {
    canvas.resized();
    var size = canvas.getSize();
    if (!size.width || !size.height) { return; }
    fittedTo = size.width + "x" + size.height;
    canvas.zoom("fit-viewport", "auto");
  }

  // Fit again when the box changes size, not when an observer merely reports the size it had.
  function refit(canvas) {
    var size = canvas.getSize();
    if (size.width + "x" + size.height !== fittedTo) { fit(canvas); }
  }

  // Zoom buttons next to the diagram (any element with data-zoom inside the diagram's figure).
  function zoomControls(canvas) {
    var box = container.parentNode;
    Array.prototype.forEach.call(box.querySelectorAll("[data-zoom]"), function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "fit") { fit(canvas); }
        else { canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8)); }
      });
      button.disabled = false;
    });
    // A box that had no size when the diagram arrived is fitted once it gets one; after that only a
    // resized window fits again (a scrollbar appearing must not undo the reader's zoom).
    if (window.ResizeObserver) {
      new window.ResizeObserver(function () { if (!fittedTo) { fit(canvas); } }).observe(container);
    }
    window.addEventListener("resize", function () { refit(canvas); });
  }

  fetch(container.getAttribute("data-xml-url"), { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      fit(canvas);
      zoomControls(canvas);
      if (container.getAttribute("data-mode") === "heatmap") {
        heatmap(canvas, viewer.get("elementRegistry"), viewer.get("overlays"));
      } else {
        markInstance(canvas, viewer.get("elementRegistry"), viewer.get("overlays"));
      }
      container.setAttribute("data-ready", "1");
    })
    .catch(function (error) {
      container.setAttribute("data-error", String(error));
      container.textContent = container.getAttribute("data-failed") || "";
    });
})();
