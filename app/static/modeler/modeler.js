/* The modeler page: open a version or draft in bpmn-js, save it as a draft (the server runs the
   gate), show the problems on the diagram and beside the selected element in the properties panel,
   import and export .bpmn files, deploy a clean draft. bpmn-js and panel strings come from
   static/modeler/i18n/<locale>.json (its translate service); this page's own Turkish sentences go through
   CF.t (i18n.js, the Babel catalog the page writes). */
(function () {
  "use strict";
  var configNode = document.getElementById("modeler-config");
  if (!configNode || !window.BpmnJS) { return; }
  var config = JSON.parse(configNode.textContent);
  var CF = window.CF = window.CF || {};
  var status = document.getElementById("modeler-status");
  var canvasNode = document.getElementById("canvas");
  var deployForm = document.getElementById("deploy-form");
  var problemList = document.getElementById("problems");
  var state = { draftId: null, version: null, marked: [], problems: [], findings: [] };

  function setStatus(text, kind) { status.textContent = text; status.setAttribute("data-state", kind); }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }
  CF.postJSON = function (url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": config.csrf_token }
    }).then(function (r) { return r.json().then(function (data) { return { status: r.status, data: data }; }); });
  };
  CF.markDirty = function () {
    deployForm.hidden = true;
    if (canvasNode.getAttribute("data-ready") === "1") { setStatus(CF.t("Kaydedilmemiş değişiklikler var."), "dirty"); }
  };

  /* An uploaded .bpmn in the encoding it declares (byte-order mark, then <?xml encoding="...">):
     ISO-8859-9 or UTF-16 files keep their Turkish names instead of being read as UTF-8. */
  function decodeXML(buffer) {
    var bytes = new Uint8Array(buffer), label = "utf-8";
    if (bytes[0] === 0xFF && bytes[1] === 0xFE) { label = "utf-16le"; }
    else if (bytes[0] === 0xFE && bytes[1] === 0xFF) { label = "utf-16be"; }
    else if (bytes[0] === 0x3C && bytes[1] === 0x00) { label = "utf-16le"; }
    else if (bytes[0] === 0x00 && bytes[1] === 0x3C) { label = "utf-16be"; }
    else {
      var head = new TextDecoder("latin1").decode(bytes.subarray(0, 200));
      var declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
      if (declared) { label = declared[1].toLowerCase(); }
    }
    var text = new TextDecoder(label).decode(bytes);
    return text.replace(/^\ufeff/, "").replace(/^(\s*<\?xml[^>]*encoding\s*=\s*["'])[^"']*(["'])/, "$1UTF-8$2");
  }
  CF.decodeXML = decodeXML;

  Promise.all([getJSON(config.descriptor_url), getJSON(config.strings_url)]).then(function (loaded) {
    var modeler = new window.BpmnJS({
      container: canvasNode, moddleExtensions: { spiffworkflow: loaded[0] },
      additionalModules: window.CFProperties.modules(loaded[1] || {}),
      propertiesPanel: { parent: "#properties-panel" },
      cfProperties: { formNames: function () { return CF.forms.names(); } }
    });
    CF.modeler = modeler;
    var canvas = modeler.get("canvas"), registry = modeler.get("elementRegistry");
    var overlays = modeler.get("overlays"), selection = modeler.get("selection");
    modeler.on("commandStack.changed", CF.markDirty);

    /* The gate's and the live check's messages for the selected element, above its properties. */
    var elementProblems = document.getElementById("element-problems");
    function showElementProblems() {
      var selected = selection.get()[0];
      var id = selected && selected.businessObject && selected.businessObject.id;
      elementProblems.replaceChildren();
      if (!id) { return; }
      var items = state.problems.filter(function (p) { return p.element === id; }).map(function (p) {
        return { kind: "problem", text: CF.t("denetim") + ": " + p.message };
      }).concat(state.findings.filter(function (f) { return f.element === id; }).map(function (f) {
        return { kind: f.severity, text: (f.severity === "warning" ? CF.t("uyarı") : CF.t("hata")) + ": " + f.message };
      }));
      if (!items.length) { return; }
      var list = document.createElement("ul");
      list.className = "problems element-problems";
      list.setAttribute("data-element", id);
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = item.text;
        li.setAttribute("data-kind", item.kind);
        list.appendChild(li);
      });
      elementProblems.appendChild(list);
    }
    modeler.on("selection.changed", showElementProblems);

    function select(id) {
      var element = registry.get(id);
      if (!element) { return false; }
      selection.select(element);
      canvas.scrollToElement(element);
      return true;
    }
    CF.select = select;

    function showProblems(problems) {
      state.problems = problems;
      state.marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, "cf-problem"); } });
      overlays.remove({ type: "cf-problem" });
      state.marked = [];
      problemList.replaceChildren();
      problems.forEach(function (p) {
        var where = [p.element || CF.t("(dosya)")];
        if (p.stage) { where.push(CF.t("aşama {n}", { n: p.stage })); }
        if (p.path) { where.push(p.path); }
        var item = document.createElement("li");
        item.textContent = where.join(" | ") + ": " + p.message;
        item.setAttribute("data-element", p.element || "");
        item.addEventListener("click", function () { if (p.element) { select(p.element); } });
        problemList.appendChild(item);
        if (p.element && registry.get(p.element) && state.marked.indexOf(p.element) < 0) {
          canvas.addMarker(p.element, "cf-problem");
          var badge = document.createElement("span");
          badge.className = "cf-problem-badge";
          badge.textContent = "!";
          badge.title = problems.filter(function (q) { return q.element === p.element; })
            .map(function (q) { return q.message; }).join("\n");
          ["mousedown", "click"].forEach(function (kind) {  /* the canvas below would take it as a click on nothing */
            badge.addEventListener(kind, function (event) { event.stopPropagation(); if (kind === "click") { select(p.element); } });
          });
          overlays.add(p.element, "cf-problem", { position: { top: -12, right: 12 }, html: badge });
          state.marked.push(p.element);
        }
      });
      showElementProblems();
    }

    /* Live check: the gate's structural rules (POST lint_url) a moment after each change, shown as
       markers on the elements and a list; errors will refuse a deploy, warnings only advise. */
    var lintList = document.getElementById("lint-findings");
    var lintState = { timer: null, marked: [], sequence: 0 };
    function showFindings(findings) {
      state.findings = findings;
      lintState.marked.forEach(function (m) {
        if (registry.get(m.id)) { canvas.removeMarker(m.id, m.css); }
      });
      overlays.remove({ type: "cf-lint" });
      lintState.marked = [];
      lintList.replaceChildren();
      lintList.setAttribute("data-checked", "1");
      findings.forEach(function (f) {
        var item = document.createElement("li");
        item.textContent = CF.t(f.severity === "warning" ? "uyarı" : "hata") + " | " + (f.element || CF.t("(dosya)")) +
          ": " + f.message + " [" + f.rule + "]";
        item.setAttribute("data-element", f.element || "");
        item.setAttribute("data-severity", f.severity);
        item.addEventListener("click", function () { if (f.element) { select(f.element); } });
        lintList.appendChild(item);
        var css = f.severity === "warning" ? "cf-lint-warning" : "cf-lint-error";
        if (f.element && registry.get(f.element) && !lintState.marked.some(function (m) { return m.id === f.element; })) {
          canvas.addMarker(f.element, css);
          overlays.add(f.element, "cf-lint", { position: { bottom: 4, left: -8 },
            html: "<span class='" + css + "-badge' title='" + CF.t(f.severity === "warning" ? "uyarı" : "hata") + "'>" +
              (f.severity === "warning" ? "?" : "!") + "</span>" });
          lintState.marked.push({ id: f.element, css: css });
        }
      });
      showElementProblems();
    }
    function lintNow() {
      var sequence = ++lintState.sequence;
      modeler.saveXML({ format: false }).then(function (out) {
        return CF.postJSON(config.lint_url, { bpmn: out.xml });
      }).then(function (res) {
        if (sequence === lintState.sequence && res.data && res.data.findings) { showFindings(res.data.findings); }
      }).catch(function () { /* the live check is advisory; saving runs the full gate */ });
    }
    CF.lintNow = lintNow;
    modeler.on("commandStack.changed", function () {
      clearTimeout(lintState.timer);
      lintState.timer = setTimeout(lintNow, 600);
    });

    function open(xml, problems) {
      return modeler.importXML(xml).then(function (result) {
        canvasNode.removeAttribute("data-fitted-to");  // a new diagram: fit it, now or once the box has a size
        CF.fitBesidePalette(canvas, canvasNode);
        CF.fitWhenSized(canvas, canvasNode);
        canvasNode.setAttribute("data-ready", "1");
        showProblems(problems || []);
        lintNow();
        var warnings = (result.warnings || []).length;
        var opened = state.draftId ? CF.t("Taslak #{n} açıldı", { n: state.draftId })
          : state.version ? CF.t("Sürüm {n} açıldı", { n: state.version }) : CF.t("Diyagram açıldı");
        setStatus(opened + (warnings ? CF.t(" ({n} uyarı)", { n: warnings }) : "") + ".", "loaded");
      }).catch(function (err) { setStatus(CF.t("Diyagram açılamadı: {error}", { error: err.message }), "error"); });
    }

    function save() {
      var forms;
      try { forms = CF.forms.collect(); } catch (err) { setStatus(err.message, "error"); return; }
      setStatus(CF.t("Denetleniyor…"), "checking");
      Promise.all([modeler.saveXML({ format: true }), CF.decisions ? CF.decisions.collect() : null]).then(function (outs) {
        var out = outs[0];
        return CF.postJSON(config.save_url, { bpmn: out.xml, forms: forms, decisions: outs[1] || undefined, draft_id: state.draftId,
          version: state.version, comment: document.getElementById("draft-comment").value });
      }).then(function (res) {
        var data = res.data;
        showProblems(data.problems || []);
        if (!data.saved) { setStatus(CF.t("Kaydedilmedi: {error}", { error: data.error || CF.t("dosya kabul edilmedi") }), "error"); return; }
        state.draftId = data.draft_id;
        history.replaceState(null, "", "?draft=" + data.draft_id);
        if (data.problems.length) {
          deployForm.hidden = true;
          setStatus(CF.t("Taslak #{n} kaydedildi: {count} sorun var, yayınlanamaz.", { n: data.draft_id, count: data.problems.length }),
                    "problems");
        } else {
          deployForm.action = data.deploy_url;
          document.getElementById("deploy-comment").value = document.getElementById("draft-comment").value;
          deployForm.hidden = false;
          setStatus(CF.t("Taslak #{n} kaydedildi: denetimden geçti, yayınlanabilir.", { n: data.draft_id }), "passed");
        }
      }).catch(function (err) { setStatus(CF.t("Kaydedilemedi: {error}", { error: err.message }), "error"); });
    }

    document.getElementById("save-button").addEventListener("click", save);
    document.getElementById("export-button").addEventListener("click", function () {
      modeler.saveXML({ format: true }).then(function (out) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([out.xml], { type: "application/xml" }));
        link.download = "complaint" + (state.version ? "-v" + state.version : "") + ".bpmn";
        link.click();
      });
    });
    document.getElementById("import-file").addEventListener("change", function (event) {
      var file = event.target.files[0];
      if (!file) { return; }
      file.arrayBuffer().then(function (bytes) {
        state.draftId = null; CF.markDirty(); return open(decodeXML(bytes), []);
      }).catch(function (err) { setStatus(CF.t("Dosya okunamadı: {error}", { error: err.message }), "error"); });
    });
    document.getElementById("open-version").addEventListener("change", function (event) {
      window.location.search = event.target.value ? "?version=" + event.target.value : "";
    });
    document.getElementById("find-element").addEventListener("change", function (event) {
      if (!select(event.target.value.trim())) { setStatus(CF.t("Öğe bulunamadı: {id}", { id: event.target.value }), "error"); }
    });

    return getJSON(config.source_url).then(function (source) {
      state.draftId = source.draft_id;
      state.version = source.version;
      CF.forms.load(source.forms || {}, config);
      return open(source.bpmn, source.problems);
    });
  }).catch(function (err) { setStatus(CF.t("Modelleyici yüklenemedi: {error}", { error: err.message }), "error"); });
})();
