"""The main screen: the wizard on the left, the live preview on the right."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from infra_tui.core.model import Repo
from infra_tui.widgets.cluster_panel import ClusterPanel
from infra_tui.widgets.component_form import ComponentForm
from infra_tui.widgets.graph_view import GraphPanel, GraphView
from infra_tui.widgets.preview_pane import PreviewPane


class MainScreen(Screen):
    """Wizard + preview. The app drives it through ``set_repo``."""

    CSS_PATH = "main.tcss"
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

    def compose(self) -> ComposeResult:
        yield Header(icon="⎈")
        with Horizontal(id="body"):
            yield ComponentForm(id="form")
            yield PreviewPane(id="preview")
        yield Static(self.hint or "", id="hint", classes="-shown" if self.hint else "")
        if self.demo:
            from infra_tui.widgets.sim_player import SimPlayer  # demo only

            yield SimPlayer(id="player", autoplay=self.autoplay)
        yield Footer()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler. The first resume comes right after every widget was
        # styled as it mounted: restyling them all again would only delay the first frame (~30 ms).
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_mount(self) -> None:
        if not getattr(self.app, "blink", True):
            # steady cursors from the first frame: the app's own pass can run before this
            # screen is composed, and a blinking cursor makes screenshots flaky
            for widget in self.query("Input, TextArea"):
                widget.cursor_blink = False
        if self.demo:
            self.query_one(GraphView).focus()
        else:
            self.query_one("#name").focus()

    @property
    def form(self) -> ComponentForm:
        return self.query_one(ComponentForm)

    @property
    def preview_pane(self) -> PreviewPane:
        return self.query_one(PreviewPane)

    def set_repo(self, repo: Repo, env: str | None) -> None:
        self.form.set_repo(repo, env)
        self.preview_pane.set_repo(repo, env)
        if self.demo:
            self.query_one("#player").load(repo, env)

    def on_sim_player_snapshot(self, event) -> None:
        """A new simulated snapshot: paint the graph and fill the cluster panel."""
        from infra_tui.core.simulate import go_duration  # demo only

        snapshot = event.snapshot
        counts = ", ".join(f"{n} {s}" for s, n in snapshot.counts().items() if n)
        player = self.query_one("#player")
        self.show_cluster(
            snapshot,
            f"simulated cluster · t {go_duration(event.t)} · {counts}",
            event.root_cause,
            events_source=player.source,
        )

    def on_cluster_watch_polled(self, event) -> None:
        """A poll of the live cluster (over SSH): the same painting as the simulated one."""
        from infra_tui.widgets.cluster_watch import ClusterWatch  # noqa: PLC0415 - loaded with the watch

        watch = next(iter(self.query(ClusterWatch)), None)
        self.show_cluster(
            event.snapshot,
            event.status,
            event.root_cause,
            events_source=watch.source if watch is not None else None,
        )

    def show_cluster(self, snapshot, status, root_cause: str = "", *, events_source=None) -> None:
        """Paint ``snapshot``'s states and ``root_cause`` on the graph and fill the cluster panel;
        the one path for the demo's simulated cluster and a live one. ``snapshot`` ``None``: only
        the panel's status line changes (the graph keeps the last good states). HelmReleases are
        mapped to their Kustomizations by the repo model and compared with Git (drift); a node
        whose HelmRelease failed is painted failed even while its Kustomization progresses."""
        drift = None
        if snapshot is not None:
            drift = self._map_and_compare(snapshot)
            if snapshot.helmreleases:  # mapped just now: the cause may read one level further down
                from infra_tui.services.cluster import root_cause_lines  # noqa: PLC0415

                causes = root_cause_lines(snapshot)
                root_cause = causes[0] if causes else root_cause
            self.query_one(GraphPanel).paint_states(snapshot.graph_states(), root_cause)
        self.query_one(ClusterPanel).show(snapshot, status, drift, events_source)

    def _map_and_compare(self, snapshot):
        """Drift of ``snapshot`` against the app's repo (its HelmReleases mapped on the way)."""
        from infra_tui.core.troubleshoot import git_helmreleases  # noqa: PLC0415
        from infra_tui.services.cluster import drift  # noqa: PLC0415

        repo = getattr(self.app, "repo", None)
        env_name = getattr(self.app, "env", None)
        if repo is None:
            return None
        try:
            env = repo.env(env_name)
        except KeyError:
            return None
        cache = getattr(self, "_git_side", None)
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

    def watch_cluster(self, root, env: str | None, request=None) -> None:
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

    @on(PreviewPane.Updated)
    def _preview_updated(self, event: PreviewPane.Updated) -> None:
        # the pane runs the checks of its plan itself (the edit screen shares it)
        self.form.set_preview(event.preview)

    @on(ComponentForm.WriteRequested)
    def _write(self) -> None:
        self.app.action_write()
