/* A small properties panel for the modeler: set a task's form, lane and ISO 10002 stage, a timer
   expression or a gateway condition without touching XML (through the bpmn-js moddle). */
(function () {
  "use strict";
  var CF = window.CF = window.CF || {};
  var STAGES = { 1: "1 Alınması", 2: "2 Alındı bildirimi", 3: "3 Sınıflandırma", 4: "4 Takip", 5: "5 Analiz",
                 6: "6 Cevaplama", 7: "7 Karar bildirimi", 8: "8 Kapatma" };

  function node(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  CF.panel = function (modeler) {
    var root = document.getElementById("properties");
    var moddle = modeler.get("moddle"), modeling = modeler.get("modeling"), registry = modeler.get("elementRegistry");

    function propertiesOf(bo) {
      var values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
      var props = values.filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0];
      return props ? props.get("properties") : [];
    }
    function getProp(bo, name) {
      var prop = propertiesOf(bo).filter(function (p) { return p.name === name; })[0];
      return prop ? prop.value : "";
    }
    function setProp(element, name, value) {
      var bo = element.businessObject;
      var ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
      var props = ext.get("values").filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0];
      if (!props) {
        props = moddle.create("spiffworkflow:Properties", { properties: [] });
        props.$parent = ext;
        ext.get("values").push(props);
      }
      var list = props.get("properties");
      var prop = list.filter(function (p) { return p.name === name; })[0];
      if (!value) {
        if (prop) { list.splice(list.indexOf(prop), 1); }
      } else if (prop) {
        prop.value = value;
      } else {
        prop = moddle.create("spiffworkflow:Property", { name: name, value: value });
        prop.$parent = props;
        list.push(prop);
      }
      modeling.updateProperties(element, { extensionElements: ext });
    }
    function expression(body) { return body ? moddle.create("bpmn:FormalExpression", { body: body }) : undefined; }

    function field(label, id, control, onChange) {
      root.appendChild(node("label", { for: id }, label));
      control.id = id;
      control.addEventListener("change", function () { onChange(control.value); });
      root.appendChild(control);
      return control;
    }
    function selectOf(options, current) {
      var select = node("select");
      options.forEach(function (o) {
        var opt = node("option", { value: o[0] }, o[1]);
        if (String(o[0]) === String(current)) { opt.selected = true; }
        select.appendChild(opt);
      });
      return select;
    }
    function textInput(value) { var input = node("input", { type: "text" }); input.value = value || ""; return input; }
    function laneOf(bo) {
      return registry.filter(function (e) { return e.type === "bpmn:Lane"; }).filter(function (lane) {
        return (lane.businessObject.get("flowNodeRef") || []).indexOf(bo) >= 0;
      })[0];
    }
    function moveToLane(element, laneName) {
      var lane = registry.filter(function (e) { return e.type === "bpmn:Lane" && e.businessObject.name === laneName; })[0];
      if (!lane) { return; }
      var dy = (lane.y + lane.height / 2) - (element.y + element.height / 2);
      modeling.moveElements([element], { x: 0, y: dy });
    }

    function render(element) {
      root.replaceChildren();
      if (!element) { root.appendChild(node("p", { class: "hint" }, CF.t("Düzenlemek için bir öğe seçin."))); return; }
      var bo = element.businessObject, type = element.type;
      root.appendChild(node("p", {}, (bo.name || CF.t("(adsız)")) + " — " + type.replace("bpmn:", "") + " " + bo.id));
      if (/Task$|Event$|SubProcess$/.test(type)) {
        // The English name beside the Turkish one (spiffworkflow property name_en): what English pages show.
        field(CF.t("Türkçe ad"), "prop-name", textInput(bo.name), function (v) {
          modeling.updateProperties(element, { name: v });
        });
        field(CF.t("İngilizce ad (name_en)"), "prop-name-en", textInput(getProp(bo, "name_en")), function (v) {
          setProp(element, "name_en", v.trim());
        });
      }
      if (/Task$|Event$/.test(type)) {
        var stages = [["", "—"]].concat(Object.keys(STAGES).map(function (k) { return [k, CF.t(STAGES[k])]; }));
        field(CF.t("ISO 10002 aşaması"), "prop-stage", selectOf(stages, getProp(bo, "iso10002_stage")), function (v) {
          setProp(element, "iso10002_stage", v);
        });
      }
      if (type === "bpmn:UserTask") {
        var forms = [["", "—"]].concat(CF.forms.names().map(function (n) { return [n, n]; }));
        field(CF.t("Form"), "prop-form", selectOf(forms, getProp(bo, "form")), function (v) { setProp(element, "form", v); });
        var lanes = registry.filter(function (e) { return e.type === "bpmn:Lane"; })
          .map(function (l) { return [l.businessObject.name, l.businessObject.name]; });
        var current = laneOf(bo);
        field(CF.t("Kulvar (rol)"), "prop-lane", selectOf([["", "—"]].concat(lanes), current ? current.businessObject.name : ""),
          function (v) { moveToLane(element, v); });
        field(CF.t("Süre değişkeni (due)"), "prop-due", textInput(getProp(bo, "due")), function (v) {
          setProp(element, "due", v.trim());
        });
      }
      var timer = (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
      if (timer) {
        var current = timer.timeDate || timer.timeDuration || timer.timeCycle;
        field(CF.t("Zamanlayıcı ifadesi (timeDate, Python; ofsetli ISO tarih üretmeli)"), "prop-timer",
          textInput(current && current.body), function (v) {
            modeling.updateModdleProperties(element, timer, { timeDate: expression(v.trim()), timeDuration: undefined,
                                                              timeCycle: undefined });
          });
      }
      if (type === "bpmn:SequenceFlow" && bo.sourceRef && /Gateway$/.test(bo.sourceRef.$type)) {
        field(CF.t("Koşul (Python)"), "prop-condition", textInput(bo.conditionExpression && bo.conditionExpression.body),
          function (v) { modeling.updateProperties(element, { conditionExpression: expression(v.trim()) }); });
      }
    }

    modeler.on("selection.changed", function (event) { render(event.newSelection[0]); });
    modeler.on("elements.changed", function () {
      var selected = modeler.get("selection").get()[0];
      if (selected && !root.contains(document.activeElement)) { render(selected); }
    });
  };
})();
