"""The level served to the real kubectl: the export line and its kubeconfig, and the `!`
prompt running kubectl against the level — whose changes the objectives see.

The cluster runs on the tests' manual VirtualClock: the API server answers from the
store, so kubectl works; the controllers move when the test advances the clock.
"""

from __future__ import annotations

import shutil
import stat

import pytest
from textual.widgets import Static

from kubequest.tui import kubectl
from kubequest.tui.screens.level import LevelScreen
from kubequest.tui.screens.victory import VictoryScreen
from kubequest.tui.widgets.kubectl_prompt import KubectlInput, KubectlPanel
from kubequest.tui.widgets.objectives import ObjectivesPanel

from .conftest import SIZE, TOUR, advance, level_screen, make_app, wait_until

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None,
                                   reason="kubectl is not installed")
KUBECTL_TRIES = 1500  # × 20 ms: a kubectl run takes a fraction of a second, 30 s at most


async def serving(pilot, screen: LevelScreen) -> None:
    await wait_until(pilot, lambda: screen.serving is not None, what="the level's API server")


async def type_line(pilot, text: str) -> None:
    """Type a line into the focused input, key by key, then enter."""
    await pilot.press(*["space" if ch == " " else ch for ch in text], "enter")


async def ran(pilot, panel: KubectlPanel, text: str) -> None:
    await wait_until(pilot, lambda: panel.running is None and text in panel.output_text,
                     what=f"{text!r} in the kubectl output", tries=KUBECTL_TRIES)


async def test_the_export_line_and_its_kubeconfig_last_as_long_as_the_level(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await serving(pilot, screen)
        path = (data_dir / "kubeconfig" / "tour-typo-service.yaml").resolve()
        assert screen.serving.kubeconfig == path
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert f"server: {screen.serving.url}" in path.read_text()
        line = screen.query_one("#export-line", Static)
        assert str(line.render()) == f"export KUBECONFIG={path}"

        driver = screen.driver
        await pilot.press("escape", "y")  # leave the level
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MapScreen", what="the map")
        await wait_until(pilot, lambda: driver.stopped, what="the level stopped")
        assert not path.exists()
        assert driver.server is None


async def test_quitting_mid_level_removes_the_kubeconfig(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await serving(pilot, screen)
        path = screen.serving.kubeconfig
        assert path.is_file()
        await pilot.press("ctrl+q")
    assert not path.exists()


async def test_a_kubeconfig_that_cannot_be_written_leaves_the_level_playable(data_dir):
    blocker = data_dir / "not-a-folder"
    blocker.write_text("a file where the kubeconfig folder would go\n")
    app = make_app(data_dir, start_level="tour/typo-service", kubeconfig_dir=blocker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await serving(pilot, screen)
        assert screen.serving.kubeconfig is None
        assert screen.driver.server is None  # stopped again: nothing listens for nobody
        line = str(screen.query_one("#export-line", Static).render())
        assert line.startswith("kubectl cannot reach this level:")
        await pilot.press("!")
        await type_line(pilot, "get pods")
        panel = screen.query_one(KubectlPanel)
        if shutil.which("kubectl") is not None:
            await wait_until(pilot, lambda: panel.output_text.count("cannot reach this level") == 1,
                             what="the reason in the prompt")
        await pilot.press("escape")
        await advance(pilot, screen, 2)  # the level goes on
        assert isinstance(app.screen, LevelScreen)


@needs_kubectl
async def test_kubectl_get_nodes_in_the_prompt(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await serving(pilot, screen)
        panel = screen.query_one(KubectlPanel)
        assert not panel.display
        await pilot.press("!")
        assert panel.display
        assert isinstance(app.focused, KubectlInput)

        await type_line(pilot, "kubectl get nodes")
        await ran(pilot, panel, "node-1")
        assert "$ kubectl get nodes" in panel.output_text
        assert "Ready" in panel.output_text

        # Without the leading `kubectl`, the same; ↑/↓ walk the history.
        await type_line(pilot, "get pods -o wide")
        await ran(pilot, panel, "NOMINATED NODE")
        field = panel.query_one(KubectlInput)
        await pilot.press("up")
        assert field.value == "get pods -o wide"
        await pilot.press("up")
        assert field.value == "kubectl get nodes"
        await pilot.press("down", "down")
        assert field.value == ""

        # esc closes the prompt and gives the keys back to the cluster panel.
        await pilot.press("escape")
        assert not panel.display
        assert isinstance(app.screen, LevelScreen)
        assert app.focused is screen.query_one("#pods-table")


@needs_kubectl
async def test_kubectl_apply_in_the_prompt_meets_the_objectives(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await serving(pilot, screen)
        assert [o.ok for o in screen.snapshot.state.objectives] == [False, False]

        solution = TOUR / "typo-service" / "solution" / "service.yaml"
        await pilot.press("!")
        await type_line(pilot, f"kubectl apply -f {solution}")
        panel = screen.query_one(KubectlPanel)
        await ran(pilot, panel, "service/web configured")

        # What kubectl wrote is on screen at once, without the clock moving.
        await wait_until(pilot, lambda: screen.is_synced() and screen.snapshot.find(
            "Service", "web")["spec"]["selector"] == {"app": "web"}, what="the new selector")
        # The endpoints controller runs when the cluster's time moves on.
        await advance(pilot, screen, 2)
        await wait_until(pilot, lambda: isinstance(app.screen, VictoryScreen), what="victory")
        assert all(o.ok for o in screen.snapshot.state.objectives)
        assert screen.query_one(ObjectivesPanel).has_class("-won")
        assert app.progress.level("tour/typo-service").solved


async def test_a_command_that_never_ends_is_refused_with_what_to_run_instead(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await pilot.press("!")
        await type_line(pilot, "get pods -w")
        panel = screen.query_one(KubectlPanel)
        await wait_until(pilot, lambda: "watches until you stop it" in panel.output_text,
                         what="the refusal")
        assert panel.running is None
        assert "run the command again without `-w`" in panel.output_text


async def test_without_kubectl_the_prompt_says_how_to_install_it(data_dir, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await serving(pilot, screen)
        await pilot.press("!")
        panel = screen.query_one(KubectlPanel)
        assert "kubectl is not installed" in panel.output_text
        await type_line(pilot, "get pods")
        await wait_until(pilot, lambda: panel.output_text.count("kubectl is not installed") == 2,
                         what="the install hint again")
        assert "https://kubernetes.io/docs/tasks/tools/" in panel.output_text
        assert panel.running is None


@needs_kubectl
async def test_the_view_command_line_runs_kubectl_too(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await serving(pilot, screen)
        await pilot.press(":")
        await type_line(pilot, "kubectl get svc")
        panel = screen.query_one(KubectlPanel)
        assert panel.display
        await ran(pilot, panel, "ClusterIP")


# ---- the prompt's rules, without a screen ----------------------------------------------------


@pytest.mark.parametrize(("line", "args"), [
    ("kubectl get pods -o wide", ["get", "pods", "-o", "wide"]),
    ("get pods", ["get", "pods"]),
    ("k get po", ["get", "po"]),
    ("get pods; rm -rf ~", ["get", "pods;", "rm", "-rf", "~"]),  # no shell: words for kubectl
    ("label pod web 'note=a b'", ["label", "pod", "web", "note=a b"]),
])
def test_a_line_is_split_like_a_shell_would_but_never_run_by_one(line, args):
    assert kubectl.parse(line) == args


def test_an_unclosed_quote_is_refused():
    with pytest.raises(kubectl.Refused, match="no closing quotation"):
        kubectl.parse("get pods -l 'app=web")


@pytest.mark.parametrize(("line", "says"), [
    ("get pods -w", "-w"),
    ("get pods -Aw", "-w"),
    ("-n default get pods --watch", "-w"),
    ("logs web-1 -f", "logs -f"),
    ("logs --follow web-1", "logs -f"),
    ("exec -it web-1 -- sh", "interactive terminal"),
    ("run shell --image=busybox -i -t", "interactive terminal"),
    ("edit deployment web", "opens an editor"),
    ("port-forward svc/web 8080:80", "keeps running"),
    ("apply -f -", "standard input"),
])
def test_commands_that_never_end_on_their_own_are_refused(line, says):
    why = kubectl.refusal(kubectl.parse(line))
    assert why is not None and says in why


@pytest.mark.parametrize("line", [
    "get pods -o wide", "get pods -owide", "get pods --watch=false", "logs web-1 --tail=20",
    "logs web-1 -p", "exec web-1 -- ls -it /", "rollout status deploy/web -w",
    "apply -f service.yaml", "describe svc web",
])
def test_commands_that_finish_are_run(line):
    assert kubectl.refusal(kubectl.parse(line)) is None


@needs_kubectl
async def test_apply_at_the_prompt_reads_what_the_editor_shows(data_dir):
    """An edited, unsaved workspace file is saved before `apply -f` reads it, and the
    prompt says so: otherwise kubectl answers "configured" for a file the player never saw."""
    from textual.widgets import TextArea

    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await serving(pilot, screen)
        editor = screen.query_one("#editor-0", TextArea)
        editor.text = editor.text.replace("app: wbe", "app: web")  # edited, not saved
        await pilot.press("!")
        await type_line(pilot, "apply -f service.yaml")
        panel = screen.query_one(KubectlPanel)
        await ran(pilot, panel, "service/web configured")
        assert "saved service.yaml first" in panel.output_text
        assert "app: web" in (screen.driver.workdir / "service.yaml").read_text()
        await wait_until(pilot, lambda: screen.is_synced() and screen.snapshot.find(
            "Service", "web")["spec"]["selector"] == {"app": "web"}, what="the edited selector applied")


def test_rollout_status_is_bounded_by_kubectls_own_timeout():
    assert kubectl.bounded(["rollout", "status", "deployment/web"]) == \
        ["rollout", "status", "deployment/web", "--timeout=15s"]
    for given in (["rollout", "status", "deploy/web", "--watch=false"],
                  ["rollout", "status", "deploy/web", "--timeout=5s"],
                  ["rollout", "history", "deploy/web"], ["get", "pods"]):
        assert kubectl.bounded(given) == given
