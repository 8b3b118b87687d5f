"""Container probes (pkg/kubelet/prober): the workers and the probes they run."""

from .manager import LIVENESS, READINESS, STARTUP, ProbeManager
from .prober import FAILURE, SUCCESS, ProbeResult, run_probe

__all__ = ["FAILURE", "LIVENESS", "READINESS", "STARTUP", "SUCCESS", "ProbeManager",
           "ProbeResult", "run_probe"]
