"""The cluster tables as play-testers needed them: NAMESPACE when a level spans namespaces,
LABELS on `L`, node labels and taints, and every column in view at 100, 120 and 150 columns."""

from __future__ import annotations

from kubequest.tui import create_app
from kubequest.tui.driver import ClusterSnapshot
from kubequest.tui.views import label_text, node_rows, pod_rows, spans_namespaces
from kubequest.tui.widgets.resource_table import (
    ResourceTable,
    plan_layout,
    restart_count,
    shrink_bar,
    whole_items,
)

from .conftest import advance, level_screen, make_app, wait_until


def _snapshot(**objects: list[dict]) -> ClusterSnapshot:
    return ClusterSnapshot(serial=1, now=100.0, elapsed=0.0, state=None,  # type: ignore[arg-type]
                           objects=objects, log=(), hints_used=0, won=False)


def _pod(name: str, namespace: str = "default", labels: dict | None = None) -> dict:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels or {},
                                        "creationTimestamp": "1970-01-01T00:00:40Z"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "web"}]}, "status": {"phase": "Pending"}}


def _node(name: str, labels: dict, taints: list[dict] | None = None) -> dict:
    return {"kind": "Node", "metadata": {"name": name, "labels": {
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **labels}},
        "spec": {"taints": taints} if taints else {},
        "status": {"allocatable": {"cpu": "4", "memory": "4Gi"}, "conditions": [
            {"type": "Ready", "status": "True"}]}}


# ---- rows ------------------------------------------------------------------------------------


def test_pods_carry_their_namespace_only_when_the_level_spans_namespaces():
    one = _snapshot(Pod=[_pod("web-1"), _pod("web-2")])
    assert not spans_namespaces(one)
    assert {r.namespace for r in pod_rows(one)} == {None}

    two = _snapshot(Pod=[_pod("web-1")], Service=[{"kind": "Service", "metadata": {
        "name": "web", "namespace": "shop"}, "spec": {"selector": {"app": "web"}}}])
    assert spans_namespaces(two)  # the pods in default, the Service that wants them in shop
    assert [r.namespace for r in pod_rows(two)] == ["default"]


def test_labels_put_the_ones_a_controller_adds_last():
    assert label_text({"pod-template-hash": "abc", "zone": "eu-1", "app": "web"}) == \
        "app=web,zone=eu-1,pod-template-hash=abc"
    assert label_text({}) == "<none>"
    row = pod_rows(_snapshot(Pod=[_pod("web-1", labels={"app": "web"})]))[0]
    assert row.labels == "app=web"


def test_nodes_show_their_labels_and_taints():
    snap = _snapshot(Node=[
        _node("node-1", {"disk": "hdd"}),
        _node("gpu-1", {"accelerator": "gpu"}, [{"key": "dedicated", "value": "ml", "effect": "NoSchedule"}]),
    ])
    cells = {r.cells[0]: r.cells for r in node_rows(snap)}
    # hostname repeats the name, os is the same on every node: neither tells the nodes apart
    assert cells["node-1"][5:] == ("disk=hdd", "<none>")
    assert cells["gpu-1"][5:] == ("accelerator=gpu", "dedicated=ml:NoSchedule")


# ---- saying less ------------------------------------------------------------------------------


def test_endpoints_keep_their_count_when_cut():
    text = "10.244.0.2:8080,10.244.0.3:8080,10.244.0.4:8080"
    assert whole_items(text, 60) == text
    assert whole_items(text, 34) == "10.244.0.2:8080,10.244.0.3:8080 +1"
    assert whole_items(text, 20) == "10.244.0.2:8080 +2"
    assert whole_items(text, 10) == "10.244… +2"


def test_restarts_and_bars_keep_their_numbers():
    assert restart_count("5 (10s ago)", 11) == "5 (10s ago)"
    assert restart_count("5 (10s ago)", 8) == "5"
    bar = "██░░░░░░  25% 1000m/4"
    assert shrink_bar(bar, 30) == bar
    assert shrink_bar(bar, 17) == "█░░░  25% 1000m/4"  # a shorter bar, the same numbers
    assert shrink_bar(bar, 12) == "25% 1000m/4"
    assert shrink_bar(bar, 5) == "25%"


def test_the_layout_narrows_free_text_and_drops_the_cluster_ip_last_of_all():
    columns = [("0", "NAME"), ("1", "TYPE"), ("2", "CLUSTER-IP"), ("3", "PORT(S)"), ("4", "SELECTOR"),
               ("5", "ENDPOINTS")]
    cells = {"0": ["web"], "1": ["ClusterIP"], "2": ["10.110.111.71"], "3": ["80/TCP"],
             "4": ["app=web"], "5": ["10.244.0.2:8080,10.244.0.3:8080,10.244.0.4:8080"]}
    wide = plan_layout(columns, cells, 120)
    assert wide.keys == ("0", "1", "2", "3", "4", "5") and wide.gap == 2
    assert wide.widths[5] == len(cells["5"][0])
    middle = plan_layout(columns, cells, 70)
    assert middle.keys == wide.keys and middle.gap == 1
    assert sum(middle.widths) + 5 <= 70
    narrow = plan_layout(columns, cells, 55)
    assert "2" not in narrow.keys  # CLUSTER-IP goes before ENDPOINTS loses its first address
    assert narrow.widths[-1] >= len("10.244.0.2:8080 +2")


# ---- on screen ---------------------------------------------------------------------------------


def _builtin_app(data_dir, level: str):
    return create_app(runtime="sim", data_dir=data_dir, manual_clock=True, seed=0, start_level=level,
                      serve_kubectl=False)


def _rendered(table) -> str:
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


def _fits(table: ResourceTable) -> bool:
    width = sum(c.get_render_width(table) for c in table.columns.values())
    return width <= table.scrollable_content_region.width and not table.show_horizontal_scrollbar


def _titles(table: ResourceTable) -> list[str]:
    return [c.label.plain for c in table.columns.values()]


async def _tab(pilot, screen, tab: str) -> None:
    screen.action_cluster_tab(tab)
    for _ in range(4):
        await pilot.pause()


async def test_namespace_column_when_the_level_spans_namespaces(data_dir):
    app = _builtin_app(data_dir, "basics/wrong-namespace")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await level_screen(pilot)
        await advance(pilot, screen, 20)
        pods = screen.query_one("#pods-table", ResourceTable)
        await wait_until(pilot, lambda: pods.row_count == 2, what="the two web pods")
        assert _titles(pods)[0] == "NAMESPACE"
        assert "default" in _rendered(pods)
        await _tab(pilot, screen, "workloads")
        svc = screen.query_one("#svc-table", ResourceTable)
        assert _titles(svc)[0] == "NAMESPACE" and "shop" in _rendered(svc)


async def test_no_namespace_column_in_a_single_namespace_and_L_shows_labels(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await level_screen(pilot)
        await advance(pilot, screen, 10)
        pods = screen.query_one("#pods-table", ResourceTable)
        await wait_until(pilot, lambda: pods.row_count > 0, what="the pods")
        assert "NAMESPACE" not in _titles(pods) and "LABELS" not in _titles(pods)
        cursor = pods.selected_key

        await pilot.press("L")
        await pilot.pause()
        assert _titles(pods)[-1] == "LABELS"
        assert "app=web" in _rendered(pods)
        assert pods.selected_key == cursor  # the rebuilt table keeps the cursor on its pod
        await _tab(pilot, screen, "workloads")
        assert _titles(screen.query_one("#deploy-table", ResourceTable))[-1] == "LABELS"

        screen.query_one("#pods-table").focus()
        await pilot.press("L")
        await pilot.pause()
        assert "LABELS" not in _titles(pods)


async def test_every_column_in_view_at_100_120_and_150(data_dir):
    app = _builtin_app(data_dir, "scheduling/tolerate-is-not-attract")
    async with app.run_test(size=(150, 30)) as pilot:
        screen = await level_screen(pilot)
        await advance(pilot, screen, 30)
        nodes = screen.query_one("#nodes-table", ResourceTable)
        pods = screen.query_one("#pods-table", ResourceTable)
        for width in (150, 120, 100):
            await pilot.resize_terminal(width, 30)
            await _tab(pilot, screen, "pods")
            assert _fits(pods), width
            assert _titles(pods)[-2:] == ["AGE", "NODE"]
            await _tab(pilot, screen, "nodes")
            assert _fits(nodes), width
            assert _titles(nodes)[-2:] == ["LABELS", "TAINTS"]
            text = _rendered(nodes)
            assert "accelerator" in text and "dedicated" in text
            if width >= 120:  # at 100 they may end in …
                assert "accelerator=gpu" in text and "dedicated=ml:NoSchedule" in text, width


async def test_services_keep_their_endpoints_in_view(data_dir):
    app = _builtin_app(data_dir, "scheduling/spread-out")
    async with app.run_test(size=(150, 30)) as pilot:
        screen = await level_screen(pilot)
        await advance(pilot, screen, 40)
        await _tab(pilot, screen, "workloads")
        svc = screen.query_one("#svc-table", ResourceTable)
        for width in (150, 120, 100):
            await pilot.resize_terminal(width, 30)
            for _ in range(4):
                await pilot.pause()
            assert _fits(svc), width
            assert _titles(svc)[-1] == "ENDPOINTS"
            assert "10.244." in _rendered(svc), width


async def test_a_crash_looping_pod_keeps_age_and_node_in_view_at_100(data_dir):
    app = make_app(data_dir, start_level="tour/bad-release")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await level_screen(pilot)
        await advance(pilot, screen, 40)  # CrashLoopBackOff and "5 (10s ago)"
        pods = screen.query_one("#pods-table", ResourceTable)
        for _ in range(4):
            await pilot.pause()
        assert _fits(pods)
        assert _titles(pods) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"]
        text = _rendered(pods)
        assert "CrashLoopBackOff" in text and "node-1" in text and "…-" in text
