"""Follow-ups after a postpartum discharge: the plan, when it applies, and its effect (FHIR Task).

    plan.py       rules/followups/plan.yaml, validated at start
    trigger.py    when a discharge or a feedback plans or cancels follow-ups
    ids.py        stable ids: follow-up rows, Task identifiers, the follow-up suggestion uuid
    task.py       the FHIR R4 Task a due follow-up becomes (validated with fhir.resources R4B)
    writeback.py  conditional create of that Task on the EHR's FHIR server
    run.py        dispatch (claim due rows), run one follow-up, reap stuck rows
    search.py     FHIR search parameters for GET /fhir/Task
    api.py        the coordinators' blueprint: /fhir/Task and the /worklist page

Imports nothing heavy, so the store can use the plan without pulling in Flask or HTTP.
"""
