/* The decision tables (DMN) of the version or draft open in the modeler, edited with dmn-js beside
   the diagram. `CF.decisions.collect()` gives {file name: DMN XML} for the draft save, which runs
   them through the same gate as the diagram. */
(function () {
  "use strict";
  var configNode = document.getElementById("modeler-config");
  var container = document.getElementById("decision-canvas");
  var picker = document.getElementById("decision-select");
  if (!configNode || !container || !picker || !window.DmnJS) { return; }
  var config = JSON.parse(configNode.textContent);
  var CF = window.CF = window.CF || {};
  var editor = new window.DmnJS({ container: container });
  var files = {}, current = null, loaded = false, edited = {};

  function openTable() {
    var views = editor.getViews().filter(function (v) { return v.type === "decisionTable"; });
    return views.length ? editor.open(views[0]) : Promise.resolve();
  }

  /* Only an edited table is written back: the others keep their text, so a diff names what changed. */
  function keepCurrent() {
    if (!current || !edited[current]) { return Promise.resolve(); }
    return editor.saveXML({ format: true }).then(function (out) { files[current] = out.xml; });
  }

  function show(name) {
    current = name;
    container.setAttribute("data-ready", "0");
    return editor.importXML(files[name]).then(openTable).then(function () {
      container.setAttribute("data-ready", "1");
      container.setAttribute("data-file", name);
    }).catch(function (err) {
      container.setAttribute("data-ready", "error");
      container.textContent = name + ": " + err.message;
    });
  }

  editor.on("views.changed", function () {
    var viewer = editor.getActiveViewer();
    if (viewer && !viewer.__cfWatched) {
      viewer.__cfWatched = true;
      viewer.on("elements.changed", function () {
        if (current) { edited[current] = true; }
        if (CF.markDirty) { CF.markDirty(); }
      });
    }
  });

  picker.addEventListener("change", function () {
    keepCurrent().then(function () { return show(picker.value); });
  });

  CF.decisions = {
    /* Every table as DMN XML, with the open one's edits; null before the tables were loaded, so a
       save then keeps the tables of the version the draft started from. */
    collect: function () {
      if (!loaded) { return Promise.resolve(null); }
      return keepCurrent().then(function () { return Object.assign({}, files); });
    }
  };

  fetch(config.source_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(function (source) {
      files = source.decisions || {};
      loaded = true;
      var names = Object.keys(files).sort();
      picker.replaceChildren();
      names.forEach(function (name) {
        var option = document.createElement("option");
        option.value = name;
        option.textContent = name;
        picker.appendChild(option);
      });
      if (names.length) { return show(names[0]); }
      container.setAttribute("data-ready", "1");
    })
    .catch(function (err) { container.setAttribute("data-ready", "error"); container.textContent = err.message; });
})();
