"""Issue 12, item 7: the shipped diagram reads as idiomatic BPMN, and every element is drawn."""

from __future__ import annotations

from lxml import etree

from app.config import PROJECT_ROOT

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
TREE = etree.parse(str(PROJECT_ROOT / "processes" / "complaint.bpmn")).getroot()


def _all(tag):
    return list(TREE.iter(f"{BPMN}{tag}"))


def _by_id(element_id):
    return TREE.xpath(f"//*[@id='{element_id}']")[0]


def test_the_customer_is_a_collapsed_pool_with_message_flows():
    customer = [p for p in _all("participant") if p.get("name") == "Müşteri"]
    assert len(customer) == 1 and customer[0].get("processRef") is None
    assert not [lane for lane in _all("lane") if lane.get("name") == "Müşteri"]
    flows = {f.get("name"): (f.get("sourceRef"), f.get("targetRef")) for f in _all("messageFlow")}
    pool = customer[0].get("id")
    assert flows["Alındı bildirimi"] == ("send_ack", pool)
    assert flows["Karar"] == ("send_decision", pool)
    assert flows["Memnuniyet anketi"] == ("send_survey", pool)
    assert flows["Müşteri yanıtı"] == (pool, "task_customer_answer")
    answer = _by_id("task_customer_answer")
    assert answer.tag == f"{BPMN}userTask"  # the desk records the answer
    lanes = {ref.text: lane.get("name") for lane in _all("lane") for ref in lane.iter(f"{BPMN}flowNodeRef")}
    assert lanes["task_customer_answer"] == "Şikâyet Uzmanı"


def test_every_e_mail_goes_out_from_a_send_task():
    senders = {t.get("id") for t in _all("sendTask")}
    for element in TREE.iter():
        text = element.text or ""
        if "send_message(" in text:
            owner = element.getparent().getparent() if element.tag == f"{SPIFF}preScript" else element.getparent()
            assert owner.get("id") in senders, owner.get("id")
    assert {"send_ack", "send_decision", "send_answer_reminder", "send_close_notice", "send_survey"} <= senders


def test_expression_language_names_and_labels():
    assert TREE.get("expressionLanguage")
    assert not TREE.xpath("//*[@name='']")
    assert _by_id("sub_start").get("name")
    flows = {f.get("id"): f for f in _all("sequenceFlow")}
    for kind in ("exclusiveGateway", "parallelGateway"):
        for gateway in _all(kind):
            outgoing = [o.text for o in gateway.iter(f"{BPMN}outgoing")]
            incoming = [i.text for i in gateway.iter(f"{BPMN}incoming")]
            if len(incoming) > 1:
                assert gateway.get("name") is None, f"merge {gateway.get('id')} is named"
            if len(outgoing) > 1:
                unlabelled = [o for o in outgoing if not flows[o].get("name")]
                assert unlabelled == [], f"split {gateway.get('id')} has an unlabelled branch"


def test_every_element_has_a_shape_or_an_edge():
    drawn = {d.get("bpmnElement") for d in TREE.iter() if d.tag.endswith(("BPMNShape", "BPMNEdge"))}
    elements = {e.get("id") for e in TREE.iter() if e.get("id") and e.tag.startswith(BPMN) and e.tag.split("}")[1] in (
        "participant", "lane", "startEvent", "endEvent", "intermediateCatchEvent", "boundaryEvent", "userTask",
        "scriptTask", "sendTask", "businessRuleTask", "exclusiveGateway", "parallelGateway", "subProcess",
        "sequenceFlow", "messageFlow")}
    assert elements - drawn == set()
    assert drawn - elements - {"collaboration_complaint"} == set()
