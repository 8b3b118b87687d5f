"""`?`: the keys of every screen, and what the screens are."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown

HELP = """\
## Level map
| key | does |
|---|---|
| ↑ ↓, mouse | choose a level |
| enter | play it |
| n | play the recommended next level |
| ? / F1 | this help |
| ctrl+p | command palette: every action by name |
| ctrl+q | quit (the level's containers are removed) |

## Level
| key | does |
|---|---|
| ctrl+s | **apply** every workspace file, like `kubectl apply -f .` |
| F6 | apply only the file in front, like `kubectl apply -f web.yaml` |
| ctrl+r | restart the level: fresh cluster, files as they were |
| ctrl+b | show / hide the briefing |
| i | edit the workspace (tab moves between panels too) |
| esc | leave the editor / clear the filter / close kubectl / back to the map |
| h · F2 | next hint — costs the no-hint star, asks first |
| w · F3 | why not yet? — explain each unmet objective (again: hide them) |
| o | the objectives: ↑↓ pick one, enter explains just that one (or click it); pgup/pgdn scroll |
| x · F4 | chaos: kill a container, delete a pod, fail or recover a node |
| 1–5 | pods · workloads · nodes · owner tree · events |
| : | switch view by name: `:pods` `:deploy` `:svc` `:nodes` `:tree` `:events` |
| / | filter the tables by name |
| ! | kubectl prompt: runs the real kubectl against the level (`get pods -o wide`; ↑↓ history, esc closes); the line under the header is the `export KUBECONFIG=…` for another terminal |
| d · y · l · e | describe · YAML · logs · events of the selected object |
| enter | describe the selected row |

## Describe / YAML / logs / events
| key | does |
|---|---|
| d y l e | switch view |
| f | follow the logs (on / off) |
| p | the previous container's logs (`--previous`) |
| esc | back to the level |

## Victory
`n` next level · `r` replay · `m` map · `s` reveal the solution · `esc` free play

Pod colours follow k9s: blue running, orange pending, red failing, purple terminating,
grey completed. Stars: ★ solved, ★ without a hint, ★ under the level's par time.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 100; max-width: 95%; height: 90%; border: thick $primary;
                            background: $surface; padding: 0 1; }
    HelpScreen Label { width: 100%; content-align: center middle; text-style: bold; }
    /* one line per key: no rule between the rows, so a screen's keys fit at 120x40 */
    HelpScreen MarkdownTableContent { grid-gutter: 0 1; keyline: none; }
    HelpScreen MarkdownTableContent > .header { text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("KubeQuest — keys  (esc closes)")
            with VerticalScroll():
                yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
