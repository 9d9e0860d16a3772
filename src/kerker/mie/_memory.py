"""Memory estimates of the Mie kernels: refuse a request before allocating what cannot fit."""

from __future__ import annotations

__all__ = ["available_memory", "check_memory"]


def available_memory() -> int | None:
    """Bytes this process may still allocate: MemAvailable, capped by a cgroup limit (None: unknown)."""
    limits = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_file) as f_limit, open(usage_file) as f_usage:
                text = f_limit.read().strip()
                if text != "max" and int(text) < 2**60:
                    limits.append(int(text) - int(f_usage.read().strip()))
        except (OSError, ValueError):
            pass
    return min(limits) if limits else None


def check_memory(what: str, n_points: int, per_point: int, fixed: int, detail: str) -> None:
    """MemoryError before allocating when ``fixed + n_points * per_point`` bytes cannot fit."""
    need = fixed + n_points * per_point
    available = available_memory()
    if available is None or need <= available:
        return
    fit = max(0, (available - fixed) // per_point)
    raise MemoryError(
        f"{what} for {detail} ({n_points:,} points) needs about {need / 1e9:.3g} GB "
        f"({per_point} bytes per point + {fixed / 1e9:.2g} GB working set), but about {available / 1e9:.3g} GB "
        f"are available; split the request into chunks of at most {fit:,} points"
    )
