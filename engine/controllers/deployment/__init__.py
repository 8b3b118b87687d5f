"""The Deployment controller, split by concern as kubernetes/kubernetes
pkg/controller/deployment/ is: controller.py (deployment_controller.go),
sync.py, rolling.py, recreate.py, rollback.py, progress.py, util.py
(util/deployment_util.go)."""

from .controller import DeploymentController

__all__ = ["DeploymentController"]
