"""The infra-tui Textual app: the wizard and the live preview over one repo.

The app holds the repo and the env, loads it off the event loop, and owns the actions that cut
across widgets (write, summary copy/save, tabs, theme). Widgets own their own workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from infra_tui import gc_pause
from infra_tui.core import graph_cache
from infra_tui.core.model import ChangePlan, Repo
from infra_tui.errors import UserError
from infra_tui.key_order import OrderedKeysApp
from infra_tui.screens.cockpit import COCKPIT_ACTIONS, COCKPIT_BINDINGS, CockpitMixin
from infra_tui.screens.main import MainScreen
from infra_tui.screens.modals import (
    HelpScreen,
    SaveSummaryScreen,
    TrustScreen,
    WriteConfirmScreen,
    WrittenScreen,
)
from infra_tui.widgets.graph_view import GraphView

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.driver import Driver

    from infra_tui.core.graph import Graph
    from infra_tui.core.preview import Preview
    from infra_tui.core.settings import WatchRequest
    from infra_tui.core.trust import RepoSettingsFile
    from infra_tui.services.preread import PreRead
    from infra_tui.widgets.preview_pane import PreviewPane
    from infra_tui.widgets.sim_player import SimPlayer

DARK, LIGHT = "textual-dark", "textual-light"
PREVIEW_BUSY = "the preview is still being computed; try again"
"""What ``_current_plan`` (and ``core.preview.write_blocker``) say while the preview is behind."""
WRITE_WAITS_FOR_PREVIEW = 10.0
"""Seconds ctrl+s waits for the preview of the fields typed before it."""
EXIT_GRACE = 5.0
"""Seconds an ending signal leaves the clean shutdown before the process ends regardless."""
FROZEN_AT_MOST = 1.0
"""Seconds after the first frame the screen waits at most for the bootstrap graph before it is
painted again (``InfraApp.on_ready``): a slow repo shows the empty preview meanwhile."""


@dataclass(repr=False)
class RepoLoaded(Message):
    """The repo was (re)read from disk."""

    repo: Repo | None
    error: str | None = None
    first: Preview | None = None
    """The preview of an empty wizard (the env's bootstrap graph), made in the same thread: the
    graph goes on screen with the repo, without a round trip through the preview worker."""


@dataclass(repr=False)
class GraphRead(Message):
    """The env's bootstrap graph ahead of the repo: as the last start left it
    (``core.graph_cache``: the repo's files are unchanged since, so it is drawn while the repo is
    read again), or, on a cold start, as just read, before the preview's modules are imported."""

    graph: Graph


@dataclass(repr=False)
class KindsLoaded(Message):
    """The CRD kinds ``repo``'s rule tables let a component create (read after the graph is up)."""

    repo: Repo
    kinds: list[str]


ACTIONS: list[tuple[str, str, str]] = [
    ("Write the plan to the repo", "write", "asks first and lists every file"),
    ("Show the graph", "tab('graph')", "bootstrap layers, critical path, blast radius"),
    ("Show the diff", "tab('diff')", "every file the plan creates or changes"),
    ("Show the summary", "tab('summary')", "the brief's summary of the plan"),
    ("Show the validation checks", "tab('checks')", "kustomize build + dry-run per component"),
    ("Show the cluster", "tab('cluster')", "Flux Kustomization states"),
    ("Copy the summary to the clipboard", "copy_summary", "OSC 52: works over SSH and tmux"),
    ("Save the summary to a file", "save_summary", "Markdown"),
    ("Toggle dark / light theme", "toggle_theme", ""),
    ("Zoom the focused pane", "zoom", "again to restore"),
    ("Reload the repo from disk", "reload", "after editing files outside infra-tui"),
    (
        "Show what was learned from the repo",
        "learned",
        "CRD providers, style, similar services, with evidence",
    ),
    *COCKPIT_ACTIONS,
    ("Help: every key", "help", ""),
]
"""Command palette entries: (title, action, help)."""


class InfraCommands(Provider):
    """The app's own actions in the command palette (ctrl+p)."""

    def _commands(self) -> Iterable[tuple[str, str, str]]:
        yield from ACTIONS
        app = self.app
        if isinstance(app, InfraApp):
            yield from app.extra_commands()

    async def discover(self) -> Hits:
        for title, action, help_text in self._commands():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, action),
                    help=help_text or None,
                )


class InfraApp(CockpitMixin, OrderedKeysApp[int]):
    """``infra-tui``: a repo, an env, the wizard and the preview."""

    TITLE = "infra-tui"
    CSS_PATH = ["app.tcss", "screens/main.tcss"]
    """main.tcss too: Textual reads a screen's CSS_PATH when the screen is pushed, and MainScreen
    is the default screen (``get_default_screen``), which is never pushed."""
    COMMANDS = App.COMMANDS | {InfraCommands}
    BINDINGS = [
        Binding("ctrl+s", "write", "Write", priority=True),
        Binding("f1", "help", "Help"),
        *COCKPIT_BINDINGS,  # before the tabs: shown in the footer even at 80 columns
        Binding("f2", "tab('graph')", "Graph", priority=True),
        Binding("f3", "tab('diff')", "Diff", priority=True),
        Binding("f4", "tab('summary')", "Summary", priority=True),
        Binding("f5", "tab('checks')", "Checks", priority=True, show=False),
        Binding("f6", "tab('cluster')", "Cluster", priority=True, show=False),
        Binding("f7", "zoom", "Zoom", show=False),
        Binding("ctrl+y", "copy_summary", "Copy summary", show=False, priority=True),
        Binding("ctrl+o", "save_summary", "Save summary", show=False, priority=True),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, priority=True),
        Binding("ctrl+l", "learned", "Learned", show=False),
    ]

    def __init__(
        self,
        root: Path,
        env: str | None = None,
        *,
        blink: bool = True,
        hint: str | None = None,
        cluster: WatchRequest | None = None,
        open_component: str | None = None,
        kept: graph_cache.Kept | None = None,
        preread: PreRead | None = None,
    ) -> None:
        super().__init__()
        self.open_component = open_component
        self._asked_env = env
        """``--env`` as given (None: the primary env): the key of the graph kept for the next start."""
        self._graph_drawn = threading.Event()
        """``GraphRead``'s graph is painted (or was not shown): the loader thread goes on."""
        self._repo_drawn = threading.Event()
        """``RepoLoaded``'s frame is painted: the loader thread reads the rule tables."""
        """``infra-tui edit NAME``: open the edit screen on it once the repo is read."""
        self.root = Path(root)
        # The graph the last start kept, if no file changed since: looked up before the first
        # frame (a walk of the tree's stats, ~2 ms for the demo; by the command, ``kept``, before
        # it imports Textual), not in the loader thread, where each of its hundreds of syscalls
        # would wait for the GIL while the event loop composes the first frame and the pane.
        if kept is None:
            kept = graph_cache.look_up(self.root, env) if self.keep_graph else graph_cache.Kept(None, None)
        self._tree_print, self._kept = kept.print_, kept.graph
        self._preread = preread if self._kept is None else None
        """The child reading the repo's graph on another core (``services.preread``): the loader
        draws its graph, on a cold start, before the app has read the repo."""
        self.env = env
        self.repo: Repo | None = None
        self.blink = blink
        if not blink:
            self.animation_level = "none"  # tests and screenshots: no tweens, steady frames
        self.hint = hint
        self.cluster = cluster
        """The ``infra-tui`` SSH flags; with ``clusters.<env>`` of ``.infra-tui.yaml`` they say which cluster to watch."""
        self._watching = False
        self._frozen = False
        self.ending = False
        """``exit`` or the shutdown began: nothing new is built (the wizard's lower fields, the edit
        screen ahead)."""
        self._exit_after: asyncio.Future[None] | None = None
        """``exit`` waiting for a screen being built (``_exit_once_mounted``)."""
        self.sub_title = f"{self.root.name} · loading…"
        self.hold_keys()  # until the wizard has mounted its lower fields (``MainScreen``)

    # -- life cycle --------------------------------------------------------------------

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, on a terminal that may go away: ``infra_tui.terminal``."""
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver" and driver.__module__ == "textual.drivers.linux_driver":
            from infra_tui.terminal import HangupSafeDriver

            return HangupSafeDriver
        return driver

    def get_default_screen(self) -> MainScreen:
        # The wizard is the bottom screen. Pushed over Textual's blank default screen instead, it
        # is styled, laid out and rendered once more before its first frame (~60 ms).
        return self.make_main_screen()

    def on_mount(self) -> None:
        self._exit_on_ending_signals()
        self.theme = DARK
        if not self.blink:
            self._no_blink()

    def on_ready(self) -> None:
        """The first frame is on screen (Textual's ``Ready``): read the repo now. A thread started
        before would compete with the first frame for the GIL; ``call_after_refresh`` would wait
        until the screen is idle, several frames later (focus, footer, cursor; ~0.1 s on a quiet
        machine). The wizard holds keys meanwhile; the title says loading…

        Meanwhile the preview pane is mounted, and the screen is not laid out nor painted again
        until the graph can be drawn with it (``_thaw``): every frame in between (focus, cursor,
        title, the empty pane) would be a layout and a paint of the whole screen (~15 ms each) the
        loader waits for."""
        self._begin_batch()
        self._frozen = True
        self.set_timer(FROZEN_AT_MOST, self._thaw)
        if self._kept is not None:
            self.post_message(GraphRead(self._kept))
        self.load_repo()
        self.main.mount_preview()

    def exit(
        self, result: int | None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        """Textual's ``exit`` (ctrl+q, a signal), once the screens being built are composed: from
        ``exit`` on, Textual mounts nothing more, so a screen half built would lose its children
        (Textual's tabs then fail with a traceback). Nothing new starts to be built meanwhile."""
        self.ending = True
        if self._still_mounting() and self._exit_after is None:
            self._exit_after = asyncio.ensure_future(self._exit_once_mounted(result, return_code, message))
            return
        super().exit(result, return_code, message)

    async def _exit_once_mounted(
        self, result: int | None, return_code: int, message: RenderableType | None
    ) -> None:
        await self._wait_for_mounting()
        super().exit(result, return_code, message)

    async def _shutdown(self) -> None:
        """Textual's shutdown (also without ``exit``: a test's end), once the screens being built
        are composed."""
        self.ending = True
        await self._wait_for_mounting()
        if self._exit_after is not None:
            self._exit_after.cancel()  # (ended meanwhile without it)
        await super()._shutdown()

    async def _close_all(self) -> None:
        """Textual's teardown, with one rule first: an installed screen on no stack (the edit
        screen, built ahead or closed with esc) is pruned before the screens on the stacks, as a
        whole tree. Textual prunes only the stacked screens (the wizard) and closes what remains
        after them node by node, in no set order; meanwhile such a screen ran on, and a message it
        handled then (a preview from its worker) read the wizard or its own form half taken apart
        (NoMatches). Pruned first, it handles what it has queued while every screen stands, then
        each of its widgets goes after handling its own: no handler sees a tree half removed."""
        stacked = {screen for stack in self._screen_stacks.values() for screen in stack}
        for screen in list(self._installed_screens.values()):
            if isinstance(screen, Screen) and screen not in stacked and screen.is_running:
                await self._prune(screen)
        await super()._close_all()

    def _still_mounting(self) -> bool:
        """Something is being mounted: the preview pane (in the ~0.1 s after the first frame), the
        wizard's lower fields (after the graph) or the edit screen (built ahead, or opened)."""
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is not None and main.preview_mounting:
            return True
        if main is not None and any(getattr(form, "building", False) for form in main.query("ComponentForm")):
            return True
        return bool(self.edit_mounting)

    async def _wait_for_mounting(self) -> None:
        """Wait (2 s at most) until nothing is being mounted."""
        from time import monotonic

        deadline = monotonic() + 2.0
        while self._still_mounting() and monotonic() < deadline:
            await asyncio.sleep(0.01)

    def _thaw(self) -> None:
        """End ``on_ready``'s batch (once): the screen is laid out and painted again. Once that
        frame is out the start-up is over: the garbage collector the command paused is on again
        (``infra_tui.gc_pause``; its first pass walks every object made since, ~30 ms: not before
        the frame)."""
        if self._frozen:
            self._frozen = False
            self.call_after_refresh(gc_pause.resume)
            self._end_batch()
            if not self._batch_count:
                self.screen.refresh()  # as Textual's ``delay_update``: a resize meanwhile too

    def _exit_on_ending_signals(self) -> None:
        """SIGTERM / SIGHUP (terminal closed, ``tmux kill-session``): exit like ``ctrl+q``, so
        the cluster watch closes its ssh master and workers clean up (``infra_tui.exit_signals``)."""
        import asyncio
        import signal

        from infra_tui import exit_signals

        def ended(sig: int) -> None:
            if exit_signals.received is not None:
                return
            exit_signals.received = sig
            exit_signals.leave_dead_terminal()
            exit_signals.exit_within(EXIT_GRACE, 128 + sig)
            self.exit(128 + sig)

        loop = asyncio.get_running_loop()
        for sig in exit_signals.ENDING_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                loop.add_signal_handler(sig, ended, sig)
        if not self.is_headless:
            # SIGHUP may be ignored (nohup) or come late: a terminal that hung up ends the app too
            def hung_up() -> None:
                if exit_signals.terminal_gone():
                    ended(signal.SIGHUP)

            self.set_interval(1.0, hung_up)

    def _no_blink(self) -> None:
        """Steady cursors, for deterministic screenshots and tests."""
        from textual.widgets import Input, TextArea  # TextArea: the wizard's, after the first frame

        for widget in self.screen.query("Input, TextArea"):
            if isinstance(widget, (Input, TextArea)):
                widget.cursor_blink = False

    def make_main_screen(self) -> MainScreen:
        return MainScreen(hint=self.hint)

    @property
    def main(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    keep_graph = True
    """Keep each load's graph for the next start on this repo (``core.graph_cache``); the demo,
    on a fresh copy each time, does not."""

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_repo(self) -> None:
        """Read the repo from disk, off the event loop; first undo (or finish) a write that was
        killed midway, and say so. At start-up, the graph the last start kept is drawn first if
        no file changed since (``core.graph_cache``); else the graph of the read is drawn before
        the preview is made."""
        kept, self._kept = self._kept, None
        preread, self._preread = self._preread, None
        if kept is None and preread is not None:
            # a cold start: the graph the child read on another core, while this process started
            # (normally done by now; here, not on the event loop, which mounts the pane meanwhile)
            kept = preread.graph(PREREAD_WAIT)
            if kept is not None:
                self.post_message(GraphRead(kept))
        if kept is not None:
            # the read (the repo model's imports, the parse: ~115 ms of the GIL) once the kept
            # graph is on screen (``on_ready``), not while the event loop mounts the pane and paints it
            self._graph_drawn.wait(FROZEN_AT_MOST)
        print_, self._tree_print = self._tree_print, None
        if print_ is None and self.keep_graph:  # a reload: the tree as it is before this read
            print_ = graph_cache.fingerprint(self.root)
        from infra_tui.core import journal_where

        if journal_where.may_exist(self.root):  # else no import of the journal's modules (~7 ms)
            from infra_tui.core import write_journal

            recovered = write_journal.recover(self.root)
            if recovered:
                self.call_from_thread(
                    self.notify, recovered, title="Interrupted write", severity="warning", timeout=15
                )
        try:
            # imported here, in the loader thread after the first frame: the repo model's modules
            # (fluxtree, kustree, yamlio, PyYAML) are ~30 ms of imports the first frame need not wait for
            from infra_tui.core import repo as repo_mod

            repo = repo_mod.load(self.root)
            env = repo.env(self.env).name
        except KeyError as exc:
            self.post_message(RepoLoaded(None, f"env {exc} does not exist under {self.root}/clusters"))
            return
        except Exception as exc:
            self.post_message(RepoLoaded(None, str(exc)))
            return
        self.env = env
        graph = None
        if kept is None and self.repo is None:  # a cold start: the graph before the preview's modules
            graph = _graph_of(repo, env)
            if graph is not None:
                self.post_message(GraphRead(graph))
                # the rest (the preview's modules, ~12 ms of the GIL) once that graph is painted,
                # not while the event loop lays out the screen and paints it
                self._graph_drawn.wait(FROZEN_AT_MOST)
        first = _first_preview(repo, env, graph)
        self._repo_drawn.clear()
        self.post_message(RepoLoaded(repo, first=first))
        if first is not None and self.keep_graph:
            graph_cache.store(self.root, self._asked_env, print_, first.graph)
        # the rule tables (~40 ms of the GIL) once the repo's frame is painted: read while the
        # event loop lays out and paints the graph, they delayed it by ~60-100 ms
        self._repo_drawn.wait(FROZEN_AT_MOST)
        kinds = _creatable_kinds(repo)
        if kinds is not None:
            self.post_message(KindsLoaded(repo, kinds))

    @on(GraphRead)
    async def _graph_read(self, message: GraphRead) -> None:
        """The kept graph (on screen with the pane while the repo is read), or a cold start's
        (on screen while the preview's modules are imported)."""
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None or self.repo is not None:  # the app is ending, or the repo came first
            self._graph_drawn.set()
            return
        mounted = main.mount_preview()
        if main.preview_mounting:
            await mounted
        if self.repo is None:
            main.preview_pane.show_graph(message.graph)
            self.sub_title = f"{self.root.name} · env {message.graph.env}"
            self._thaw()
        self.call_after_refresh(self._graph_drawn.set)

    @on(RepoLoaded)
    async def _repo_loaded(self, message: RepoLoaded) -> None:
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:  # the app is ending
            self._repo_drawn.set()
            return
        mounted = main.mount_preview()  # (on the first frame; composed by now, as a rule)
        if main.preview_mounting:
            await mounted
        if message.repo is None:
            self._thaw()
            self.sub_title = f"{self.root.name} · cannot read"
            self.notify(message.error or "cannot read the repo", severity="error", timeout=30)
            return
        self.repo = message.repo
        self.sub_title = f"{self.root.name} · env {self.env}"
        for problem in self.repo.problems[:3]:
            self.notify(str(problem), severity="warning", timeout=10)
        if not self.repo.flat:
            from infra_tui.core.scaffold import NOT_FLAT

            self.notify(NOT_FLAT, title="not the flat shape", timeout=15)
        main.set_repo(self.repo, self.env, first=message.first)
        self._thaw()  # the graph with the pane, in one layout and paint
        self.call_after_refresh(self._repo_drawn.set)
        self.cockpit_repo_loaded(self.repo)
        if not self._watching:
            self._watching = True
            self.watch_cluster()
        self.repo_changed(self.repo)

    @on(KindsLoaded)
    def _kinds_loaded(self, message: KindsLoaded) -> None:
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is not None and message.repo is self.repo:  # (None: the app is ending)
            main.form.set_kinds(message.kinds)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """One place for worker failures: say what failed, keep the app running."""
        if event.state == WorkerState.ERROR:
            self.notify(
                f"{event.worker.name or event.worker.group} failed: {event.worker.error}",
                severity="error",
                timeout=15,
            )

    def watch_cluster(self) -> None:
        """Poll the env's live cluster, if one is configured (the demo has its simulated one);
        first ask whether to trust the repo's settings if they name hosts or programs."""
        self._check_trust()

    @work(thread=True, exclusive=True, group="trust", exit_on_error=False)
    def _check_trust(self) -> None:
        """Off the event loop: read the repo's settings file; ask only if its keys for this env
        that reach the network or local programs are untrusted (and no flag replaces them)."""
        from infra_tui.core import trust  # not on the startup path
        from infra_tui.core.settings import CONFIG_ENV

        asking: dict[str, object] = {}
        repo_file = None
        try:
            repo_file = trust.read_repo_settings(self.root) if not os.environ.get(CONFIG_ENV) else None
        except UserError:
            pass  # the cluster watch reports bad settings in its status line
        if repo_file is not None and not repo_file.trusted:
            flags = set((self.cluster.overrides if self.cluster else {}).keys())
            asking = {
                key: value for key, value in repo_file.gated().items()
                if key.startswith(f"clusters.{self.env}.") and key.rsplit(".", 1)[1] not in flags
            }  # fmt: skip
        if repo_file is not None and asking:
            screen = TrustScreen(repo_file.path, asking, changed=repo_file.changed)
            self.call_from_thread(self.push_screen, screen, partial(self._trust_decided, repo_file))
        else:
            self.call_from_thread(self.main.watch_cluster, self.root, self.env, self.cluster)

    def _trust_decided(self, repo_file: RepoSettingsFile, trusted: bool | None) -> None:
        if trusted:
            from infra_tui.core import trust

            try:
                trust.record_trust(repo_file.path, repo_file.data)  # the bytes that were shown
            except (OSError, UserError) as exc:
                self.notify(f"could not record the trust: {exc}", severity="error", timeout=15)
            else:
                self.notify(f"trusted {repo_file.path.name}; its cluster settings apply", timeout=5)
        self.main.watch_cluster(self.root, self.env, self.cluster)

    def repo_changed(self, repo: Repo) -> None:
        """Hook for subclasses (the demo replays with the new repo)."""

    def extra_commands(self) -> Iterable[tuple[str, str, str]]:
        """More command palette entries (the demo adds its controls)."""
        return ()

    # -- actions -----------------------------------------------------------------------

    def _preview_pane(self) -> PreviewPane:
        from infra_tui.widgets.preview_pane import PreviewPane  # mounted after the first frame

        pane = getattr(self.screen, "preview_pane", None)  # the edit screen has its own
        return pane if isinstance(pane, PreviewPane) else self.main.preview_pane

    def action_tab(self, tab: str) -> None:
        from infra_tui.widgets.preview_pane import TABS, PreviewPane

        if tab in TABS:
            if self.screen is not self.main and not isinstance(
                getattr(self.screen, "preview_pane", None), PreviewPane
            ):
                return
            pane = self._preview_pane()
            target = {"graph": "#graph-view", "diff": "#diff-view", "summary": "#summary-view"}.get(tab)

            def show() -> None:
                pane.active = tab
                for widget in pane.query(target) if target else ():  # (none: the app is ending)
                    widget.focus()

            pane.when_built(show)  # the tabs after Graph come after the graph at start-up

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_learned(self) -> None:
        """The Learned view: what the repo teaches, with evidence."""
        from infra_tui.screens.learned import LearnedScreen

        if self.repo is not None and not isinstance(self.screen, LearnedScreen):
            self.push_screen(LearnedScreen(self.repo, self.env))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def action_zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif screen.focused is not None:
            screen.maximize(screen.focused)

    def action_reload(self) -> None:
        self.load_repo()

    def _current_plan(self) -> tuple[ChangePlan | None, str]:
        """The plan on screen if it can be written, else why not."""
        if self.repo is None:
            return None, "the repo is still loading"
        if self._preview_pane().busy:
            return None, PREVIEW_BUSY
        why = self.main.form.write_blocker
        if why is not None:
            return None, why
        preview = self._preview_pane().preview
        if preview is None:  # not once write_blocker passed (it needs the preview of these fields)
            return None, PREVIEW_BUSY
        return preview.plan, ""

    def action_write(self, waited: float = 0.0) -> None:
        if self.screen is not self.main:
            write = getattr(self.screen, "action_write_plan", None)  # edit / findings screens
            if callable(write):
                write()
            return
        plan, why = self._current_plan()
        if why == PREVIEW_BUSY and waited < WRITE_WAITS_FOR_PREVIEW:
            # ctrl+s right behind the last keystroke (typed fast, or still being handled): write what
            # was typed, as a slow typist would, once its preview is on screen
            self.set_timer(0.05, partial(self.action_write, waited + 0.05))
            return
        if plan is None:
            self.notify(why, title="Cannot write", severity="error", timeout=6)
            return
        self.push_screen(WriteConfirmScreen(plan, self.root), partial(self._confirmed, plan))

    def _confirmed(self, plan: ChangePlan, ok: bool | None) -> None:
        if ok:
            self.write_plan(plan)
        else:
            self.notify("nothing was written", timeout=3)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def write_plan(self, plan: ChangePlan, reset_form: bool = True) -> None:
        """Write the plan's files, then show the repo's git status."""
        import asyncio

        from infra_tui.core import apply as apply_mod  # not needed until a write

        try:
            result = await asyncio.to_thread(apply_mod.apply, plan, self.root)
        except apply_mod.ApplyRefused as exc:
            self.notify("\n".join(exc.reasons), title="Nothing was written", severity="error", timeout=15)
            self.load_repo()
            return
        for warning in result.warnings:
            self.notify(warning, severity="warning", timeout=10)
        status = await git_status(self.root)
        if reset_form:
            self.main.form.reset()
        self.load_repo()
        await self.push_screen(WrittenScreen(result.written, status))

    def _summary_text(self) -> str:
        preview = self._preview_pane().preview
        return preview.summary if preview else ""

    def action_copy_summary(self) -> None:
        text = self._summary_text()
        if not text:
            self.notify("no summary yet", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(f"summary copied ({len(text.splitlines())} lines, OSC 52)", timeout=3)

    def action_save_summary(self) -> None:
        text = self._summary_text()
        if not text:
            self.notify("no summary yet", severity="warning")
            return
        name = self.main.form.state.fields.get("name") or "component"
        default = Path.cwd() / f"{name}-summary.md"
        self.push_screen(SaveSummaryScreen(default), partial(self._save_summary, text))

    def _save_summary(self, text: str, path: Path | None) -> None:
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"cannot save {path}: {exc.strerror}", severity="error")
        else:
            self.notify(f"summary saved to {path}", timeout=4)


PREREAD_WAIT = 0.5
"""Seconds the loader waits, at most, for the start-up child's graph (``services.preread``);
then the child is killed and the app reads the repo before it draws the graph, as without it."""


def _graph_of(repo: Repo, env: str) -> Graph | None:
    """In the loading thread, the env's bootstrap graph alone (``core.graph``: imported before the
    first frame, with ``core.graph_cache``). None if it cannot be built: the preview says why."""
    from infra_tui.core import graph as graph_mod

    try:
        return graph_mod.build(repo.env(env))
    except Exception:  # the preview worker reports it
        return None


def _first_preview(repo: Repo, env: str, graph: Graph | None = None) -> Preview | None:
    """In the loading thread, what the screen needs once the repo is read: the preview of an
    empty wizard, i.e. the env's graph (``graph``, if it was built already: the one on screen).
    None if that fails: the preview worker then runs as for any edit and reports the error."""
    from infra_tui.core import preview as preview_mod

    if graph is not None:
        return preview_mod.Preview({}, graph)
    try:
        return preview_mod.compute(repo, None, env)
    except Exception:  # the preview worker reports it
        return None


def _creatable_kinds(repo: Repo) -> list[str] | None:
    """In the loading thread, once the graph is posted: the repo's rule tables (cached per repo,
    so the preview worker reuses them) and the CRD kinds they let a component create. None if
    they cannot be read: the preview worker reports why."""
    from infra_tui.core import rules as rules_mod

    try:
        return rules_mod.creatable_kinds(rules_mod.for_repo(repo))
    except Exception:  # the preview worker reports it
        return None


async def git_status(root: Path) -> str:
    """``git status --short`` of the repo (never running the repo's own git hooks or filters)."""
    from infra_tui.services.git import short_status  # not needed until a write

    return await short_status(root)


DEMO_HINT = (
    "[b]demo[/] [b]space[/] play/pause [b]n[/] step [b]+ -[/] speed [b]r[/] restart · arrows select, "
    "[b]x[/] fail it, [b]d[/] drop its dependsOn, [b]u[/] undo · [b]h[/] hide\n"
    "The wizard (tab) writes to a temp copy of the demo repo (its path is printed on exit); a component you add joins the next replay."
)

DEMO_ACTIONS: list[tuple[str, str, str]] = [
    ("Demo: play / pause", "demo('toggle')", "space"),
    ("Demo: step to the next event", "demo('step')", "n"),
    ("Demo: faster", "demo('faster')", "+"),
    ("Demo: slower", "demo('slower')", "-"),
    ("Demo: restart the bootstrap", "demo('restart')", "r"),
    ("Demo: fail the selected Kustomization", "demo_fail", "x: its blast radius waits"),
    ("Demo: drop a dependsOn of the selected", "demo_drop", "d: e.g. cilium-config without cilium"),
    ("Demo: undo every what-if", "demo('undo')", "u"),
]


class DemoApp(InfraApp):
    """``infra-tui demo``: the app on a copy of the demo repo, with a simulated cluster."""

    keep_graph = False  # a fresh copy each time: nothing to find next time

    BINDINGS = [
        Binding("space", "demo('toggle')", "Play/Pause"),
        Binding("n", "demo('step')", "Step", show=False),
        Binding("plus,equals_sign", "demo('faster')", "Faster", show=False),
        Binding("minus", "demo('slower')", "Slower", show=False),
        Binding("r", "demo('restart')", "Restart", show=False),
        Binding("x", "demo_fail", "Fail", show=False),
        Binding("d", "demo_drop", "Drop dep", show=False),
        Binding("u", "demo('undo')", "Undo", show=False),
        Binding("h", "hide_hint", "Hide hint", show=False),
    ]

    def __init__(
        self,
        root: Path,
        env: str | None = None,
        *,
        blink: bool = True,
        autoplay: bool = True,
        kept: graph_cache.Kept | None = None,
        preread: PreRead | None = None,
    ) -> None:
        super().__init__(root, env, blink=blink, hint=DEMO_HINT, kept=kept, preread=preread)
        self.autoplay = autoplay
        self.title = "infra-tui demo"

    def make_main_screen(self) -> MainScreen:
        return MainScreen(hint=self.hint, demo=True, autoplay=self.autoplay)

    def watch_cluster(self) -> None:
        """The demo's cluster is the simulator (SimPlayer)."""

    def extra_commands(self) -> Iterable[tuple[str, str, str]]:
        return DEMO_ACTIONS

    @property
    def player(self) -> SimPlayer:
        return self.main.query_one("#player")  # type: ignore[return-value]

    def _selected(self) -> str | None:
        return self.main.query_one(GraphView).selected

    def action_demo(self, what: str) -> None:
        getattr(self.player, what)()

    def action_demo_fail(self) -> None:
        node = self._selected()
        if node:
            failing = self.player.fail(node)
            self.notify(
                f"{'failing' if failing else 'no longer failing'}: {node.rsplit('/', 1)[-1]}; replaying",
                timeout=4,
            )

    def action_demo_drop(self) -> None:
        node = self._selected()
        if not node:
            return
        dropped = self.player.drop_dependency(node)
        if dropped is None:
            self.notify(
                f"{node.rsplit('/', 1)[-1]} has no dependsOn left to drop", severity="warning", timeout=4
            )
        else:
            self.notify(
                f"replaying with {node.rsplit('/', 1)[-1]} no longer waiting for {dropped.rsplit('/', 1)[-1]}",
                timeout=5,
            )

    def action_hide_hint(self) -> None:
        self.main.dismiss_hint()
