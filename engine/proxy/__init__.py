"""The Service proxy (kube-proxy's job), in userspace mode."""

from .proxier import ServiceProxy

__all__ = ["ServiceProxy"]
