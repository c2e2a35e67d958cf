/* Fit a diagram into its box to the right of the bpmn-js palette, so the palette never covers it.
   A box without a size yet is left alone (bpmn-js cannot fit into 0×0) and fitted when it gets one. */
(function () {
  "use strict";
  var CF = window.CF = window.CF || {};
  var PAD = 16;
  CF.fitBesidePalette = function (canvas, node) {
    canvas.resized();
    var size = canvas.getSize();
    if (!size.width || !size.height) { return; }
    node.setAttribute("data-fitted-to", size.width + "x" + size.height);
    canvas.zoom("fit-viewport", "auto");
    var palette = node.querySelector(".djs-palette");
    var box = canvas.viewbox();
    if (!palette || !box.inner.width || !box.inner.height) { return; }
    var left = palette.getBoundingClientRect().right - node.getBoundingClientRect().left + PAD;
    var width = box.outer.width - left - PAD, height = box.outer.height - 2 * PAD;
    if (width <= 0 || height <= 0) { return; }
    var scale = Math.min(width / box.inner.width, height / box.inner.height, 1.5);
    canvas.viewbox({ x: box.inner.x - left / scale, y: box.inner.y - PAD / scale,
                     width: box.outer.width / scale, height: box.outer.height / scale });
  };
  /* Fit again when the box changes size, not when an observer merely reports the size it had. */
  function refit(canvas, node) {
    var size = canvas.getSize();
    if (size.width + "x" + size.height !== node.getAttribute("data-fitted-to")) {
      CF.fitBesidePalette(canvas, node);
    }
  }
  /* A box that had no size when the diagram arrived is fitted once it gets one (once: after that only a
     resized window fits again, so a scrollbar appearing does not undo the reader's zoom). */
  CF.fitWhenSized = function (canvas, node) {
    if (!window.ResizeObserver || node.getAttribute("data-fit-watched")) { return; }
    node.setAttribute("data-fit-watched", "1");
    new window.ResizeObserver(function () {
      if (!node.getAttribute("data-fitted-to")) { CF.fitBesidePalette(canvas, node); }
    }).observe(node);
  };
  /* Buttons with data-zoom="in|out|fit" inside `root` zoom the canvas; a resized window fits again. */
  CF.zoomButtons = function (canvas, node, root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-zoom]"), function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "fit") { CF.fitBesidePalette(canvas, node); }
        else { canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8)); }
      });
      button.disabled = false;
    });
    CF.fitWhenSized(canvas, node);
    window.addEventListener("resize", function () { refit(canvas, node); });
  };
})();
