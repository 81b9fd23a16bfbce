"""Resource limits of a worker pool process (set with ``setrlimit``).

Memory (``RLIMIT_AS``) is capped once, when the process starts. CPU time is
a budget per task: ``RLIMIT_CPU`` counts the process's whole life, so a cap
set once would kill a long-lived process in the middle of some later,
ordinary task. Before each task the soft limit is moved to the CPU time
used so far plus the budget; a task that goes past it gets SIGXCPU.
"""

import resource


def memory_limit_set(megabytes: int) -> None:
    """Cap the address space of this process at ``megabytes`` (0: no cap)."""
    if megabytes:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def cpu_used_seconds() -> float:
    """CPU seconds (user + system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_budget_reset(seconds: int) -> None:
    """Allow this process ``seconds`` more CPU seconds from now (0: no cap).

    Only the soft limit moves; the hard limit is left as it is, so this can
    be called before every task.
    """
    if not seconds:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(cpu_used_seconds()) + 1 + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
