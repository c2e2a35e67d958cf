"""The workflow engine: the only package that imports SpiffWorkflow."""

from .conformance import check_conformance, user_tasks
from .lint import check_structure, lint
from .runner import Engine, HumanTaskView, ProcedureFailure, TaskNotReady, WorkflowRun
from .sandbox import Limits as ScriptLimits
from .specs import (
    MAX_BPMN_BYTES,
    SPEC_CACHE,
    ProcessBundle,
    ProcessDefinitionError,
    bundle_to_json,
    content_hash,
    decode_bpmn,
    parse_bpmn,
    safe_tree,
)
from .versioning import diff_bundles, migrate, migration_blockers

__all__ = [
    "MAX_BPMN_BYTES",
    "check_conformance",
    "check_structure",
    "decode_bpmn",
    "lint",
    "diff_bundles",
    "migrate",
    "migration_blockers",
    "safe_tree",
    "user_tasks",
    "Engine",
    "HumanTaskView",
    "ProcessBundle",
    "ProcedureFailure",
    "ProcessDefinitionError",
    "SPEC_CACHE",
    "ScriptLimits",
    "TaskNotReady",
    "WorkflowRun",
    "bundle_to_json",
    "content_hash",
    "parse_bpmn",
]
