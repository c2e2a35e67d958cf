"""The workflow engine: the only package that imports SpiffWorkflow."""

from .runner import Engine, HumanTaskView, TaskNotReady, WorkflowRun
from .specs import SPEC_CACHE, ProcessBundle, ProcessDefinitionError, bundle_to_json, content_hash, parse_bpmn

__all__ = [
    "Engine",
    "HumanTaskView",
    "ProcessBundle",
    "ProcessDefinitionError",
    "SPEC_CACHE",
    "TaskNotReady",
    "WorkflowRun",
    "bundle_to_json",
    "content_hash",
    "parse_bpmn",
]
