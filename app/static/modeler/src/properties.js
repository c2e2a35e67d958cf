/* The modeler's properties panel: bpmn-js-properties-panel (general, documentation, timer groups)
   plus a provider for the English name (name_en, under the Turkish name) and what SpiffWorkflow runs —
   a script task's script, pre- and post-scripts, a gateway flow's condition, a user task's form, stage
   and deadline variable. Bundled by esbuild at
   `make install` into build/properties.js, which exposes window.CFProperties. */
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, useService } from "bpmn-js-properties-panel";
import {
  Group, SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited, isTextAreaEntryEdited,
  isTextFieldEntryEdited
} from "@bpmn-io/properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const STAGES = ["1", "2", "3", "4", "5", "6", "7", "8"];
/* The elements whose names readers see (app/bilingual.py reads name_en on each). */
const NAMED = ["bpmn:FlowNode", "bpmn:SequenceFlow", "bpmn:Lane", "bpmn:Participant"];

function extensionValues(bo) {
  return (bo.extensionElements && bo.extensionElements.get("values")) || [];
}

function extensionOf(bo, type) {
  return extensionValues(bo).filter((v) => v.$type === type)[0];
}

function propertyOf(bo, name) {
  const props = extensionOf(bo, "spiffworkflow:Properties");
  return props ? props.get("properties").filter((p) => p.name === name)[0] : undefined;
}

/* Put a spiffworkflow extension element (a pre-/post-script) in place, change it or drop it. */
function setBodyExtension(element, type, value, moddle, modeling) {
  const bo = getBusinessObject(element);
  const ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
  const values = ext.get("values");
  const current = values.filter((v) => v.$type === type)[0];
  if (!value) {
    if (current) { values.splice(values.indexOf(current), 1); }
  } else if (current) {
    current.value = value;
  } else {
    const created = moddle.create(type, { value });
    created.$parent = ext;
    values.unshift(created);
  }
  ext.$parent = bo;
  modeling.updateProperties(element, { extensionElements: ext });
}

function setProperty(element, name, value, moddle, modeling) {
  const bo = getBusinessObject(element);
  const ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", { values: [] });
  let props = ext.get("values").filter((v) => v.$type === "spiffworkflow:Properties")[0];
  if (!props) {
    props = moddle.create("spiffworkflow:Properties", { properties: [] });
    props.$parent = ext;
    ext.get("values").push(props);
  }
  const list = props.get("properties");
  const prop = list.filter((p) => p.name === name)[0];
  if (!value) {
    if (prop) { list.splice(list.indexOf(prop), 1); }
  } else if (prop) {
    prop.value = value;
  } else {
    const created = moddle.create("spiffworkflow:Property", { name, value });
    created.$parent = props;
    list.push(created);
  }
  ext.$parent = bo;
  modeling.updateProperties(element, { extensionElements: ext });
}

function ScriptEntry(props) {
  const { element, id } = props;
  const modeling = useService("modeling"), translate = useService("translate"), debounce = useService("debounceInput");
  return TextAreaEntry({
    element, id, debounce, monospace: true, rows: 6, label: translate("Script (Python)"),
    getValue: () => getBusinessObject(element).get("script") || "",
    setValue: (value) => modeling.updateProperties(element, { script: value || undefined, scriptFormat: "python" }),
  });
}

function ExtensionScriptEntry(props) {
  const { element, id, type, label } = props;
  const modeling = useService("modeling"), moddle = useService("moddle"), translate = useService("translate");
  const debounce = useService("debounceInput");
  return TextAreaEntry({
    element, id, debounce, monospace: true, rows: 4, label: translate(label),
    getValue: () => { const ext = extensionOf(getBusinessObject(element), type); return (ext && ext.value) || ""; },
    setValue: (value) => setBodyExtension(element, type, value, moddle, modeling),
  });
}

function ConditionEntry(props) {
  const { element, id } = props;
  const modeling = useService("modeling"), moddle = useService("moddle"), translate = useService("translate");
  const debounce = useService("debounceInput");
  return TextAreaEntry({
    element, id, debounce, monospace: true, rows: 2, label: translate("Condition (Python)"),
    getValue: () => { const c = getBusinessObject(element).conditionExpression; return (c && c.body) || ""; },
    setValue: (value) => modeling.updateProperties(element, {
      conditionExpression: value ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined
    }),
  });
}

function PropertySelectEntry(props) {
  const { element, id, name, label, options } = props;
  const modeling = useService("modeling"), moddle = useService("moddle"), translate = useService("translate");
  return SelectEntry({
    element, id, label: translate(label),
    getValue: () => { const p = propertyOf(getBusinessObject(element), name); return (p && p.value) || ""; },
    setValue: (value) => setProperty(element, name, value, moddle, modeling),
    getOptions: () => {
      const current = propertyOf(getBusinessObject(element), name);
      const values = options();
      if (current && current.value && values.indexOf(current.value) < 0) { values.push(current.value); }
      return [{ value: "", label: "—" }].concat(values.map((v) => ({ value: v, label: translate(v) })));
    },
  });
}

function PropertyTextEntry(props) {
  const { element, id, name, label } = props;
  const modeling = useService("modeling"), moddle = useService("moddle"), translate = useService("translate");
  const debounce = useService("debounceInput");
  return TextFieldEntry({
    element, id, debounce, label: translate(label),
    getValue: () => { const p = propertyOf(getBusinessObject(element), name); return (p && p.value) || ""; },
    setValue: (value) => setProperty(element, name, (value || "").trim(), moddle, modeling),
  });
}

/* The groups an analyst comes for (script, condition, timer, a user task's form) are open when the element is selected. */
function spiffGroups(element, translate, formNames) {
  const groups = [];
  const bo = getBusinessObject(element);
  if (is(element, "bpmn:ScriptTask")) {
    groups.push({ id: "cf-script-group", label: translate("Script"), component: Group, shouldOpen: true,
      entries: [{ id: "cf-script", component: ScriptEntry, isEdited: isTextAreaEntryEdited }] });
  }
  if (is(element, "bpmn:Activity")) {
    groups.push({ id: "cf-prepost-group", label: translate("Pre- and post-script"), component: Group, entries: [
      { id: "cf-prescript", component: ExtensionScriptEntry, isEdited: isTextAreaEntryEdited,
        type: "spiffworkflow:PreScript", label: "Pre-script (before the step)" },
      { id: "cf-postscript", component: ExtensionScriptEntry, isEdited: isTextAreaEntryEdited,
        type: "spiffworkflow:PostScript", label: "Post-script (after the step)" },
    ] });
  }
  if (is(element, "bpmn:SequenceFlow") && bo.sourceRef && is(bo.sourceRef, "bpmn:Gateway")) {
    groups.push({ id: "cf-condition-group", label: translate("Condition"), component: Group, shouldOpen: true,
      entries: [{ id: "cf-condition", component: ConditionEntry, isEdited: isTextAreaEntryEdited }] });
  }
  if (is(element, "bpmn:FlowNode") && !is(element, "bpmn:Gateway")) {
    const entries = [{ id: "cf-stage", component: PropertySelectEntry, isEdited: isSelectEntryEdited,
      name: "iso10002_stage", label: "ISO 10002 stage", options: () => STAGES.slice() }];
    if (is(element, "bpmn:UserTask")) {
      entries.push({ id: "cf-form", component: PropertySelectEntry, isEdited: isSelectEntryEdited,
        name: "form", label: "Form", options: () => formNames().slice() });
      entries.push({ id: "cf-due", component: PropertyTextEntry, isEdited: isTextFieldEntryEdited,
        name: "due", label: "Deadline variable (due)" });
    }
    groups.push({ id: "cf-spiff-group", label: translate("Desk settings"), component: Group, entries,
      shouldOpen: is(element, "bpmn:UserTask") });
  }
  return groups;
}

/* The English name (spiffworkflow property name_en) right under the Turkish name, the group open: English
   pages show it, and a new step should get both names. */
function addEnglishName(group) {
  group.shouldOpen = true;
  const name = group.entries.findIndex((e) => e.id === "name");
  group.entries.splice(name >= 0 ? name + 1 : group.entries.length, 0, {
    id: "cf-name-en", component: PropertyTextEntry, isEdited: isTextFieldEntryEdited,
    name: "name_en", label: "English name (name_en)",
  });
}

class SpiffProvider {
  constructor(propertiesPanel, translate, config) {
    this._translate = translate;
    this._formNames = (config && config.formNames) || (() => []);
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (groups) => {
      const general = groups.findIndex((g) => g.id === "general");
      if (general >= 0 && NAMED.some((type) => is(element, type))) { addEnglishName(groups[general]); }
      groups.splice(general + 1, 0, ...spiffGroups(element, this._translate, this._formNames));
      groups.filter((g) => g.id === "timer").forEach((g) => { g.shouldOpen = true; });
      return groups;
    };
  }
}
SpiffProvider.$inject = ["propertiesPanel", "translate", "config.cfProperties"];

/* bpmn-js' translate service over a catalog (source string → the reader's language). */
function translateModule(strings) {
  return {
    translate: ["value", (template, replacements) => {
      const text = Object.prototype.hasOwnProperty.call(strings, template) ? strings[template] : template;
      return text.replace(/{([^}]+)}/g, (match, key) => (replacements && key in replacements ? replacements[key] : match));
    }],
  };
}

window.CFProperties = {
  modules(strings) {
    return [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
      { __init__: ["cfSpiffProvider"], cfSpiffProvider: ["type", SpiffProvider] }, translateModule(strings || {})];
  },
};
