"""The main screen: the wizard on the left, the live preview on the right."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from infra_tui.core.model import Repo
from infra_tui.widgets.component_form import ComponentForm
from infra_tui.widgets.footer import KeyFooter
from infra_tui.widgets.graph_view import GraphPanel, GraphView

if TYPE_CHECKING:  # typing only: the app imports this screen, never the other way round
    from textual.widget import AwaitMount

    from infra_tui.app import InfraApp
    from infra_tui.core.preview import Preview
    from infra_tui.core.settings import WatchRequest
    from infra_tui.core.troubleshoot import GitHelmRelease
    from infra_tui.services.cluster import ClusterSnapshot, Drift, StatusSource
    from infra_tui.widgets.cluster_watch import ClusterWatch
    from infra_tui.widgets.preview_pane import PreviewPane
    from infra_tui.widgets.sim_player import SimPlayer


class MainScreen(Screen[None]):
    """Wizard + preview. The app drives it through ``set_repo``."""

    CSS_PATH = "main.tcss"
    if TYPE_CHECKING:  # the screen runs in InfraApp only: type ``self.app`` as it (no runtime change)
        app: InfraApp
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def __init__(self, hint: str | None = None, *, demo: bool = False, autoplay: bool = True) -> None:
        # Start with the breakpoint class of the terminal's width: set on the first Resize
        # instead, it restyles every widget once more before the first frame (~40 ms).
        width = self.app.size.width
        super().__init__(
            classes=max((b for b in self.HORIZONTAL_BREAKPOINTS if width >= b[0]), default=(0, ""))[1]
        )
        self.hint = hint
        self.demo = demo
        self.autoplay = autoplay
        self._resumed = False
        self._git_side: tuple[Repo, str, dict[str, GitHelmRelease], dict[str, list[str]]] | None = None
        self._preview_mount: AwaitMount | None = None

    def compose(self) -> ComposeResult:
        # The preview (its tabs, graph, diff, summary, checks and cluster panels: a third of the
        # screen's widgets and their modules) is mounted right after the first frame
        # (``mount_preview``), while the loader reads the repo the graph needs.
        yield Header(icon="⎈")
        with Horizontal(id="body"):
            yield ComponentForm(id="form")
        yield Static(self.hint or "", id="hint", classes="-shown" if self.hint else "")
        if self.demo:
            from infra_tui.widgets.sim_player import SimPlayer  # demo only

            yield SimPlayer(id="player", autoplay=self.autoplay)
        yield KeyFooter(held=True)  # keys once the wizard is built (``_form_built``)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler. The first resume comes right after every widget was
        # styled as it mounted: restyling them all again would only delay the first frame (~30 ms).
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        # Runs before Screen's own handler, which lays the whole screen out again and paints it
        # for every Resize, its size changed or not. Right after the first frame the screen gets
        # three of the size it was just laid out at (the driver's, the app's, its own first
        # layout's): ~20-30 ms of layouts and a full repaint before ``Ready``, where the loader
        # starts. One of the size it is laid out at changes nothing (nor the breakpoint class).
        if event.size == self._compositor.size:
            event.prevent_default()

    def on_mount(self) -> None:
        self._steady_cursors()
        if not self.demo:  # the demo focuses the graph once it is mounted (``mount_preview``)
            self.query_one("#name").focus()

    @property
    def preview_mounting(self) -> bool:
        """The preview pane is being mounted (``mount_preview``), not yet composed."""
        from infra_tui.widgets.preview_pane import PreviewPane

        return self._preview_mount is not None and not self.query_one(PreviewPane).is_mounted

    def mount_preview(self) -> AwaitMount:
        """Mount the preview pane (once; the app calls this on its first frame): awaitable until
        it is composed. Keys are held until the wizard is built, after the graph, so none reaches
        a pane that is not there yet."""
        if self._preview_mount is None:
            from infra_tui.widgets.preview_pane import PreviewPane

            self._preview_mount = self.query_one("#body").mount(PreviewPane(id="preview", graph_first=True))
            if self.demo:
                self.call_after_refresh(self._focus_graph)
        return self._preview_mount

    async def _focus_graph(self) -> None:
        assert self._preview_mount is not None
        await self._preview_mount
        self.query_one(GraphView).focus()

    def _steady_cursors(self) -> None:
        if not self.app.blink:
            # steady cursors from the first frame: the app's own pass can run before this
            # screen is composed, and a blinking cursor makes screenshots flaky
            from textual.widgets import TextArea  # the values editor's: after the first frame

            for widget in self.query(Input):
                widget.cursor_blink = False
            for area in self.query(TextArea):
                area.cursor_blink = False

    @on(ComponentForm.Built)
    def _form_built(self) -> None:
        """The wizard's lower fields are mounted: the keys typed since the start can go in, and
        the key bar shows them."""
        self._steady_cursors()
        self.query_one(KeyFooter).release()
        self._release_keys_once_laid_out()

    def _release_keys_once_laid_out(self, turns: int = 0) -> None:
        """Route the held keys once every field has its place on screen (``ComponentForm.laid_out``:
        a Tab routed before would skip the fields not yet placed, to the graph); 1 s at most."""
        release = getattr(self.app, "release_keys", None)  # ``OrderedKeysApp`` (``InfraApp``)
        if not callable(release):
            return
        if turns < 100 and not self.form.laid_out():
            self.set_timer(0.01, partial(self._release_keys_once_laid_out, turns + 1))
            return
        release()

    @property
    def form(self) -> ComponentForm:
        return self.query_one(ComponentForm)

    @property
    def preview_pane(self) -> PreviewPane:
        from infra_tui.widgets.preview_pane import PreviewPane  # mounted after the first frame

        return self.query_one(PreviewPane)

    def set_repo(self, repo: Repo, env: str | None, *, first: Preview | None = None) -> None:
        """A (re)loaded repo; ``first``: its empty-wizard preview, if the loader made one. The
        preview pane must be mounted (``await mount_preview()``)."""
        self.preview_pane.set_repo(repo, env, first=first)  # the graph first
        self.form.set_repo(repo, env)
        self.call_after_refresh(self.form.build)  # the wizard's lower fields once the graph is drawn
        if self.demo:
            from infra_tui.widgets.sim_player import SimPlayer  # demo only

            self.query_one("#player", SimPlayer).load(repo, env)

    def on_sim_player_snapshot(self, event: SimPlayer.Snapshot) -> None:
        """A new simulated snapshot: paint the graph and fill the cluster panel."""
        from infra_tui.core.simulate import go_duration  # demo only
        from infra_tui.widgets.sim_player import SimPlayer

        snapshot = event.snapshot
        counts = ", ".join(f"{n} {s}" for s, n in snapshot.counts().items() if n)
        player = self.query_one("#player", SimPlayer)
        self.show_cluster(
            snapshot,
            f"simulated cluster · t {go_duration(event.t)} · {counts}",
            event.root_cause,
            events_source=player.source,
        )

    def on_cluster_watch_polled(self, event: ClusterWatch.Polled) -> None:
        """A poll of the live cluster (over SSH): the same painting as the simulated one."""
        from infra_tui.widgets.cluster_watch import ClusterWatch  # loaded with the watch

        watch = next(iter(self.query(ClusterWatch)), None)
        self.show_cluster(
            event.snapshot,
            event.status,
            event.root_cause,
            events_source=watch.source if watch is not None else None,
        )

    def show_cluster(
        self,
        snapshot: ClusterSnapshot | None,
        status: str | Text,
        root_cause: str = "",
        *,
        events_source: StatusSource | None = None,
    ) -> None:
        """Paint ``snapshot``'s states and ``root_cause`` on the graph and fill the cluster panel;
        the one path for the demo's simulated cluster and a live one. ``snapshot`` ``None``: only
        the panel's status line changes (the graph keeps the last good states). HelmReleases are
        mapped to their Kustomizations by the repo model and compared with Git (drift); a node
        whose HelmRelease failed is painted failed even while its Kustomization progresses."""
        drift = None
        if snapshot is not None:
            drift = self._map_and_compare(snapshot)
            if snapshot.helmreleases:  # mapped just now: the cause may read one level further down
                from infra_tui.services.cluster import root_cause_lines

                causes = root_cause_lines(snapshot)
                root_cause = causes[0] if causes else root_cause
            self.query_one(GraphPanel).paint_states(snapshot.graph_states(), root_cause)
        self.preview_pane.when_built(
            partial(self._show_cluster_panel, snapshot, status, drift, events_source)
        )

    def _show_cluster_panel(self, *args: Any) -> None:
        from infra_tui.widgets.cluster_panel import ClusterPanel  # with the preview pane's tabs

        for panel in self.query(ClusterPanel):  # (none: the app is ending)
            panel.show(*args)

    def _map_and_compare(self, snapshot: ClusterSnapshot) -> Drift | None:
        """Drift of ``snapshot`` against the app's repo (its HelmReleases mapped on the way)."""
        from infra_tui.core.troubleshoot import git_helmreleases
        from infra_tui.services.cluster import drift

        repo, env_name = self.app.repo, self.app.env
        if repo is None:
            return None
        try:
            env = repo.env(env_name)
        except KeyError:
            return None
        cache = self._git_side
        if cache is None or cache[0] is not repo or cache[1] != env.name:
            cache = (
                repo,
                env.name,
                git_helmreleases(repo, env.name),
                {k.id: k.depends_on_ids for k in env.kustomizations},
            )
            self._git_side = cache
        snapshot.map_helmreleases(cache[2])
        return drift(snapshot, cache[3], cache[2])

    def watch_cluster(self, root: Path, env: str | None, request: WatchRequest | None = None) -> None:
        """Poll the env's live cluster if one is configured (``.infra-tui.yaml`` or flags)."""
        from infra_tui.widgets.cluster_watch import ClusterWatch  # not on the startup path

        for old in self.query(ClusterWatch):
            old.remove()
        self.mount(ClusterWatch(root, env, request))

    def dismiss_hint(self) -> None:
        self.query_one("#hint").remove_class("-shown")

    @on(ComponentForm.Changed)
    def _form_changed(self, event: ComponentForm.Changed) -> None:
        self.preview_pane.request(event.state.fields if event.state.fields.get("name") else None)

    def on_preview_pane_updated(self, event: PreviewPane.Updated) -> None:
        # the pane runs the checks of its plan itself (the edit screen shares it)
        self.form.set_preview(event.preview)

    @on(ComponentForm.WriteRequested)
    def _write(self) -> None:
        self.app.action_write()
