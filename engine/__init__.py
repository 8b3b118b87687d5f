"""The KubeQuest cluster: an in-process Kubernetes control plane.

No UI imports live below this package (a test proves it); it is usable as a library.
"""
