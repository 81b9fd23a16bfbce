"""Makes one answer lethal: put this folder on a worker's PYTHONPATH for the poison test.

Python imports ``sitecustomize`` at start-up. When ``TRACEGRADE_POISON`` is set,
every worker pool process kills itself with SIGKILL (as the kernel's OOM killer
would) when it grades a submission containing that answer; the rest of the
grading path is untouched.
"""

import os

POISON = os.environ.get("TRACEGRADE_POISON")

if POISON:
    from celery.signals import worker_process_init

    @worker_process_init.connect(weak=False)
    def _make_poison_lethal(**_kwargs) -> None:
        import signal

        import grader.services

        grade = grader.services.grade

        def grade_or_die(spec, answers, seed=None, **options):
            if POISON in answers.values():
                os.kill(os.getpid(), signal.SIGKILL)
            return grade(spec, answers, seed=seed, **options)

        grader.services.grade = grade_or_die
