"""Verify an audit's flags: `inspect eval tasks/audit_verify.py -T audit_dir=$PWD/audit --model M`.

A relative audit_dir is read from the directory `inspect` ran in ($PWD), as claims are.
Thin on purpose: the task is built in beliefbench.audit.verify (`inspect eval
beliefbench/audit_verify` runs the same thing). This writes Inspect's log only;
`beliefbench audit-verify` runs the same task and writes verified.jsonl and verification.json.
From another directory give this file relatively, or absolutely WITH its task name
(`inspect eval /abs/path/tasks/audit_verify.py@audit_verify`): Inspect rejects
an absolute task file without it (every task file alike).
"""

from inspect_ai import Task, task

from beliefbench.audit.verify import audit_verify as build


@task
def audit_verify(**params) -> Task:
    """Each flagged (document, claim): does the document teach the claim? (yes / no)"""
    return build(**params)
