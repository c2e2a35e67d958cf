// A "select all" box ticks or clears every checkbox of the class named in its data-select-all.
document.querySelectorAll("[data-select-all]").forEach(function (box) {
  box.addEventListener("change", function () {
    document.querySelectorAll("input." + box.dataset.selectAll).forEach(function (c) { c.checked = box.checked; });
  });
});
