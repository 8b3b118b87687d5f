"""The kubelet: the per-node agent (pkg/kubelet). See kubelet.py."""

from .kubelet import Kubelet

__all__ = ["Kubelet"]
