"""The wizard: one form for a new component, every field checked in place.

The form owns only input and field-level checks (a DNS-1123 name, a URL, a duration, values that
parse as a YAML mapping). Everything else (placement, files, refusals) comes from the plan, which
the preview pane computes from ``ComponentForm.Changed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.fuzzy import Matcher
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from infra_tui.widgets.toggles import OnOffCheckbox, OnOffSelectionList

if TYPE_CHECKING:
    from textual.widgets import TextArea

    from infra_tui.core.learn import Learned
    from infra_tui.core.model import Repo
    from infra_tui.core.preview import Preview

REQUIRED = {"name": "name", "chart": "chart", "repo-url": "repo url"}
"""Form fields the spec cannot do without (form id -> label)."""

FIELD_OF_KEY = {
    "name": "name",
    "namespace": "namespace",
    "chart": "chart",
    "chart.name": "chart",
    "chart.repository": "repo-url",
    "chart.repository.url": "repo-url",
    "chart.repository.name": "repo-name",
    "chart.version": "version",
    "timeout": "timeout",
    "values": "values",
}
"""``SpecProblem.key`` -> the form field that shows it."""

DEFAULTED = ("namespace", "repo-name", "version", "timeout", "interval", "values")
"""Fields whose empty value the plan fills: each shows whether its default was learned from the
repo (from which component, which line) or is the house default (``core.learned_defaults``)."""

DEFAULT_KINDS = [
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "RecurringJob",
    "Certificate",
    "ClusterIssuer",
    "Issuer",
    "ConstraintTemplate",
    "ClusterPolicy",
    "Policy",
]
"""CRD kinds a component may create, until the repo (and with it its rule tables) is read."""

BUILD_WITHIN = 0.5
"""Seconds after the first frame by which the lower fields are mounted even if the repo is still
loading (normally they come right after the bootstrap graph is drawn)."""


def parse_values(text: str) -> tuple[dict[str, Any], str | None]:
    """The values editor's text as a mapping, or the parse error with its line."""
    if not text.strip():
        return {}, None
    import yaml  # PyYAML: not needed for the first frame (the editor starts empty)

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, f"{where}{problem}"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, f"values must be a mapping (key: value), not a {type(data).__name__}"
    return data, None


@dataclass
class FormState:
    """What the form holds: the spec fields (DESIGN.md shape) and the reasons per invalid field."""

    fields: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.errors and not self.missing


class DependencyPicker(Vertical):
    """Extra dependencies chosen from the env's Kustomizations, with fuzzy search."""

    DEFAULT_CSS = """
    DependencyPicker {
        height: auto;
        #deps-search { width: 1fr; }
        #deps-list { height: auto; max-height: 6; border: none; padding: 0; }
        #deps-chosen { color: $text-muted; height: auto; }
    }
    """

    class Changed(Message):
        def __init__(self, picker: DependencyPicker) -> None:
            super().__init__()
            self.picker = picker

        @property
        def control(self) -> DependencyPicker:
            return self.picker

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names: list[str] = []
        self.chosen: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder="type to search Kustomizations", id="deps-search", compact=True)
        yield OnOffSelectionList(id="deps-list", compact=True)
        yield Static("", id="deps-chosen")

    def set_names(self, names: list[str]) -> None:
        self.names = sorted(names)
        self.chosen = [c for c in self.chosen if c in self.names]
        self._refresh_options()

    def _refresh_options(self) -> None:
        query = self.query_one("#deps-search", Input).value.strip()
        lst = self.query_one("#deps-list", SelectionList)
        if query:
            matcher = Matcher(query)
            scored = sorted(((matcher.match(n), n) for n in self.names), key=lambda s: (-s[0], s[1]))
            options = [
                Selection(matcher.highlight(n), n, n in self.chosen) for score, n in scored if score > 0
            ]
        else:
            options = [Selection(Content(n), n, True) for n in self.chosen]
        with lst.prevent(SelectionList.SelectedChanged):
            lst.clear_options()
            lst.add_options(options[:50])
        self.query_one("#deps-chosen", Static).update(
            ("after: " + ", ".join(self.chosen))
            if self.chosen
            else "after: nothing extra (inferred ones are added)"
        )

    @on(Input.Changed, "#deps-search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        self._refresh_options()

    @on(Input.Submitted, "#deps-search")
    def _pick_first(self, event: Input.Submitted) -> None:
        event.stop()
        lst = self.query_one("#deps-list", SelectionList)
        if lst.option_count:
            first = lst.get_option_at_index(0).value
            if first not in self.chosen:
                self.chosen.append(first)
                self.query_one("#deps-search", Input).value = ""
                self._refresh_options()
                self.post_message(self.Changed(self))

    @on(SelectionList.SelectedChanged, "#deps-list")
    def _toggled(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        lst = event.selection_list
        shown = {lst.get_option_at_index(i).value for i in range(lst.option_count)}
        selected = set(lst.selected)
        chosen = [c for c in self.chosen if c not in shown or c in selected]
        chosen += [s for s in lst.selected if s not in chosen]
        self.chosen = chosen
        self.query_one("#deps-chosen", Static).update(
            ("after: " + ", ".join(self.chosen))
            if self.chosen
            else "after: nothing extra (inferred ones are added)"
        )
        self.post_message(self.Changed(self))


class ComponentForm(VerticalScroll, can_focus=False):
    """Name, namespace, envs, chart, values, webhook, monitoring, CRD kinds, dependencies.

    Not focusable itself: tab goes straight from field to field, starting at the name."""

    DEFAULT_CSS = """
    ComponentForm {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        .form--title { text-style: bold; color: $accent; margin-bottom: 1; }
        .form--row { height: auto; }
        .form--label { width: 11; color: $text-muted; }
        .form--row > Input { width: 1fr; }
        .form--row > Horizontal { height: auto; width: 1fr; }
        .form--error { color: $error; padding-left: 11; height: auto; display: none; }
        .form--error.-shown { display: block; }
        .form--default {
            color: $text-muted; text-style: dim; padding-left: 11; height: 1;
            text-wrap: nowrap; text-overflow: ellipsis;
        }
        .form--default.-learned { color: $success; }
        #interval { width: auto; margin-right: 2; }
        .form--row > .form--default { padding-left: 0; width: 1fr; }
        Input.-invalid { color: $error; text-style: bold; }
        Checkbox { border: none; padding: 0; height: 1; background: transparent; }
        #creates { height: auto; max-height: 5; border: none; padding: 0; width: 1fr; }
        #envs { height: auto; max-height: 3; border: none; padding: 0; width: 1fr; }
        #values { height: 8; margin-left: 0; }
        #form-status { height: 3; margin-top: 1; }
        #form-status.-ok { color: $success; }
        #form-status.-blocked { color: $warning; }
        #write { width: 100%; margin-top: 0; }
    }
    """

    class Changed(Message):
        """Any field changed; ``state`` holds the fields and the reasons they are invalid."""

        def __init__(self, form: ComponentForm, state: FormState) -> None:
            super().__init__()
            self.form = form
            self.state = state

        @property
        def control(self) -> ComponentForm:
            return self.form

    class WriteRequested(Message):
        """The Write button was pressed."""

    class Built(Message):
        """Every field is mounted (the lower ones come after the first frame)."""

        def __init__(self, form: ComponentForm) -> None:
            super().__init__()
            self.form = form

        @property
        def control(self) -> ComponentForm:
            return self.form

    def __init__(self, *, kinds: list[str] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kinds = kinds or DEFAULT_KINDS
        self.existing: set[str] = set()
        self.primary_env = ""
        self.state = FormState({})
        self._plan_problems: list[str] = []
        self._files = 0
        self._preview: Preview | None = None
        self.learned: Learned | None = None
        """What the repo teaches (``core.learn``), learned in a worker after ``set_repo``."""
        self._defaults_for: tuple[str, str, bool] | None = None
        self.learning: tuple[Repo, str] | None = None
        """The repo and env whose facts are being learned (None: none pending)."""
        self._learn_started = False
        self.built = False
        """Every field is mounted (``build``, after the first frame)."""
        self._building = False
        self._repo_for: tuple[Repo, str] | None = None
        """The repo and env whose envs and Kustomizations the form offers."""

    # -- layout ------------------------------------------------------------------------

    def _row(self, label: str, widget: Widget, error_id: str | None = None) -> list[Widget]:
        """A labelled field and, for a field the plan defaults, the line that says where its
        default comes from. (The line of its error, ``error_id``, is mounted below the field with
        the first error: ``_show_error``.)"""
        row: list[Widget] = [Horizontal(Label(label, classes="form--label"), widget, classes="form--row")]
        if error_id and error_id.removesuffix("-error") in DEFAULTED:
            row.append(self._default_marker(error_id.removesuffix("-error")))
        return row

    @staticmethod
    def _default_marker(field_id: str) -> Static:
        return Static("", id=f"{field_id}-default", classes="form--default", markup=False)

    def compose(self) -> ComposeResult:
        """The upper fields, for the first frame. The lower ones (and the envs list, which is
        empty until the repo is read) are mounted after it (``build``): the form's
        widgets are most of the first frame's cost, and the app holds keys until they are all
        there, so nothing typed meanwhile is lost or lands elsewhere."""
        yield Static("New component", classes="form--title")
        yield from self._row("name", Input(placeholder="redis-cache", id="name", compact=True), "name-error")
        yield from self._row(
            "namespace", Input(placeholder="(same as name)", id="namespace", compact=True), "namespace-error"
        )
        yield Horizontal(Label("envs", classes="form--label"), id="envs-row", classes="form--row")
        yield from self._row("chart", Input(placeholder="redis", id="chart", compact=True), "chart-error")
        yield from self._row(
            "repository", Input(placeholder="bitnami", id="repo-name", compact=True), "repo-name-error"
        )
        yield from self._row(
            "repo url",
            Input(placeholder="https://charts.bitnami.com/bitnami", id="repo-url", compact=True),
            "repo-url-error",
        )
        yield from self._row(
            "version",
            Input(placeholder='"1.x" (semver constraint)', id="version", compact=True),
            "version-error",
        )
        yield from self._row(
            "timeout", Input(placeholder="5m (Helm default)", id="timeout", compact=True), "timeout-error"
        )
        yield Horizontal(
            Label("interval", classes="form--label"),
            Static("1h", id="interval", markup=False),
            self._default_marker("interval"),
            classes="form--row",
        )

    def _rest(self) -> list[Widget]:
        """The fields below ``interval``, the status line and the Write button."""
        return [
            *self._row(
                "webhook", OnOffCheckbox("registers an admission webhook", id="webhook", compact=True)
            ),
            Horizontal(
                Label("monitoring", classes="form--label"),
                Horizontal(
                    OnOffCheckbox("ServiceMonitor", id="sm", compact=True),
                    OnOffCheckbox("PrometheusRule", id="pr", compact=True),
                ),
                classes="form--row",
            ),
            *self._row(
                "creates", OnOffSelectionList(*[(k, k) for k in self.kinds], id="creates", compact=True)
            ),
            *self._row("depends on", DependencyPicker(id="deps")),
            Label("values (YAML)", classes="form--label"),
            self._values_editor(),
            self._default_marker("values"),
            Static("", id="form-status", markup=False),
            Button("Write  ctrl+s", id="write", variant="success", disabled=True, compact=True),
        ]

    def _values_editor(self) -> TextArea:
        from textual.widgets import TextArea  # ~12 ms of imports (tree-sitter): after the first frame

        area = TextArea(id="values", show_line_numbers=True, tab_behavior="indent", soft_wrap=False)
        area.indent_width = 2
        return area

    def on_mount(self) -> None:
        # the screen builds the rest once the bootstrap graph is drawn; at the latest this long
        # after the first frame
        self.call_after_refresh(self.set_timer, BUILD_WITHIN, self.build)

    @property
    def building(self) -> bool:
        """``build`` is mounting the lower fields."""
        return self._building

    async def build(self) -> None:
        """Mount the lower fields (once; the first frame shows the upper ones)."""
        if self.built or self._building or not self.is_attached or getattr(self.app, "ending", False):
            return  # (the app is ending: nothing more is mounted)
        self._building = True
        try:
            envs = self.query_one("#envs-row").mount(OnOffSelectionList(id="envs", compact=True))
            await self.mount_all(self._rest())
            await envs
        finally:
            self._building = False
        if not self.is_attached or not self.query(DependencyPicker):
            return  # removed meanwhile: the app is ending
        self.built = True
        # kinds that came while the fields were being mounted (the list was made before them)
        self._offer_kinds()
        if self._repo_for is not None:
            self._fill_from_repo()
        self._emit()
        self.post_message(self.Built(self))
        # YAML highlighting once the form is on screen: loading tree-sitter's grammar and query
        # takes ~7 ms, and the editor starts empty
        self.call_after_refresh(self._highlight_values)

    def laid_out(self) -> bool:
        """Every field that can take the focus has its place on screen. Textual orders the focus
        chain by position (``Widget._focus_sort_key``): a field mounted but not yet laid out has
        none and sorts first, so a Tab routed then would skip past it."""
        for widget in self.query("*"):
            region = widget.virtual_region  # Region(0, 0, 0, 0) until placed (an empty list: a width)
            if widget.can_focus and not (region.width or region.height):
                node: Any = widget
                while node is not self and node is not None and node.display:
                    node = node.parent
                if node is self:  # displayed (not inside something hidden): it should have a place
                    return False
        return True

    def _values_area(self) -> TextArea:
        from textual.widgets import TextArea  # imported by ``_values_editor`` already

        return self.query_one("#values", TextArea)

    def _highlight_values(self) -> None:
        try:
            self._values_area().language = "yaml"
        except Exception:  # no tree-sitter-yaml installed: plain text, still parsed for errors
            pass

    def set_repo(self, repo: Repo, env: str | None = None) -> None:
        """The envs and Kustomizations to choose from (the CRD kinds come with ``set_kinds``)."""
        env_name = env or repo.primary_env
        self.primary_env = env_name
        self.existing = {k.name for k in repo.env(env_name).kustomizations}
        self._repo_for = (repo, env_name)
        self.learning = (repo, env_name)  # learned once the first preview is on screen
        self._learn_started = False
        if self.built:
            self._fill_from_repo()
            self._emit()

    def _fill_from_repo(self) -> None:
        assert self._repo_for is not None
        repo, env_name = self._repo_for
        envs = self.query_one("#envs", SelectionList)
        with envs.prevent(SelectionList.SelectedChanged):
            envs.clear_options()
            envs.add_options([Selection(name, name, name == env_name) for name in repo.envs])
        self.query_one(DependencyPicker).set_names([k.name for k in repo.env(env_name).kustomizations])

    # -- learned defaults --------------------------------------------------------------

    @work(thread=True, exclusive=True, group="form-learn", exit_on_error=False)
    def _learn(self, repo: Repo, env: str) -> None:
        """Learn the repo's facts off the event loop (it reads files again for lines and quoting)."""
        from infra_tui.core import learn

        learned = learn.cached(repo, env)
        self.app.call_from_thread(self.set_learned, learned)

    def set_learned(self, learned: Learned | None) -> None:
        """Show, next to each defaulted field, whether its default was learned or the house's."""
        self.learned = learned
        self.learning = None
        self._defaults_for = None
        self._show_defaults()

    def _show_defaults(self) -> None:
        if not self.built:
            return  # shown once every field is there
        from infra_tui.core.learned_defaults import field_defaults

        key = (self._value("chart"), self._value("name"), self.learned is not None)
        if key == self._defaults_for:
            return
        self._defaults_for = key
        for field_id, default in field_defaults(self.learned, key[0], key[1]).items():
            box = self.query_one(f"#{field_id}-default", Static)
            text = ("✓ " if default.learned else "· ") + default.marker
            if str(box.content) != text or box.tooltip != default.detail:
                box.update(text)
                box.tooltip = default.detail
                box.set_class(default.learned, "-learned")
                if field_id == "interval":
                    self.query_one("#interval", Static).update(default.value)

    def set_kinds(self, kinds: list[str]) -> None:
        """Offer the CRD kinds of the repo's rule tables (``.infra-tui.yaml`` may add some)."""
        self.kinds = kinds
        if self.built:
            self._offer_kinds()  # (not built: ``build`` makes the list with them)

    def _offer_kinds(self) -> None:
        """The creates list offers ``self.kinds``, keeping what is chosen."""
        creates = self.query_one("#creates", SelectionList)
        offered = [creates.get_option_at_index(i).value for i in range(creates.option_count)]
        if offered == self.kinds:
            return
        chosen = set(creates.selected)
        with creates.prevent(SelectionList.SelectedChanged):
            creates.clear_options()
            creates.add_options([Selection(k, k, k in chosen) for k in self.kinds])

    def reset(self) -> None:
        """Empty every field (after a write)."""
        for inp in self.query(".form--row > Input").results(Input):
            inp.value = ""
        for box in self.query(Checkbox):
            box.value = False
        self.query_one("#creates", SelectionList).deselect_all()
        picker = self.query_one(DependencyPicker)
        picker.chosen = []
        picker.query_one("#deps-search", Input).value = ""
        self._values_area().text = ""
        self._emit()

    # -- state -------------------------------------------------------------------------

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def read(self) -> FormState:
        """The fields in the DESIGN.md "Component spec" shape (only what the user stated), and
        the reasons fields are invalid: ``core.spec.parse`` is the one judge, the form only places
        its problems next to the field they concern."""
        text = {
            key: self._value(key)
            for key in ("name", "namespace", "chart", "repo-name", "repo-url", "version", "timeout")
        }
        from infra_tui.core import spec as spec_mod

        values, values_error = parse_values(self._values_area().text)
        chart: dict[str, Any] = {"name": text["chart"], "repository": {"url": text["repo-url"]}}
        if text["repo-name"]:
            chart["repository"]["name"] = text["repo-name"]
        if text["version"]:
            chart["version"] = text["version"]
        fields: dict[str, Any] = {"name": text["name"], "chart": chart}
        if text["namespace"]:
            fields["namespace"] = text["namespace"]
        envs = list(self.query_one("#envs", SelectionList).selected)
        if envs and envs != [self.primary_env]:
            fields["envs"] = envs
        if values:
            fields["values"] = values
        if text["timeout"]:
            fields["timeout"] = text["timeout"]
        if self.query_one("#webhook", Checkbox).value:
            fields["webhook"] = True
        creates = list(self.query_one("#creates", SelectionList).selected)
        if creates:
            fields["creates"] = creates
        sm, pr = self.query_one("#sm", Checkbox).value, self.query_one("#pr", Checkbox).value
        if sm or pr:
            fields["monitoring"] = {"serviceMonitor": sm, "prometheusRule": pr}
        deps = list(self.query_one(DependencyPicker).chosen)
        if deps:
            fields["dependsOn"] = deps
        errors: dict[str, str] = {}
        missing = [label for key, label in REQUIRED.items() if not text[key]]
        for problem in spec_mod.parse(fields).problems:
            key = FIELD_OF_KEY.get(problem.key, "")
            if key in text and not text[key]:
                continue  # empty required field: listed under "needs", not red
            errors.setdefault(key or problem.key or "spec", problem.message)
        if text["name"] and "name" not in errors and text["name"] in self.existing:
            errors["name"] = (
                f"'{text['name']}' already exists in this env; pick another name or use `infra-tui edit {text['name']}`"
            )
        if values_error:
            errors["values"] = values_error
        return FormState(fields, errors, missing)

    def _emit(self) -> None:
        if not self.built:
            return  # no field can have changed yet: the app holds keys until it is built
        self.state = self.read()
        for key in ("name", "namespace", "chart", "repo-name", "repo-url", "version", "timeout", "values"):
            reason = self.state.errors.get(key)
            self._show_error(key, reason)
            if key != "values":
                self.query_one(f"#{key}", Input).set_class(bool(reason), "-invalid")
        self._update_status()
        self._show_defaults()
        self.post_message(self.Changed(self, self.state))

    def _show_error(self, key: str, reason: str | None) -> None:
        """The line under field ``key`` that says why it is invalid (hidden while it is not)."""
        text = f"✗ {reason}" if reason else ""
        box = next(iter(self.query(f"#{key}-error").results(Static)), None)
        if box is None:
            if reason:  # the first error of this field: its line goes right below the field
                field = self.query_one(f"#{key}")
                below = field if key == "values" else field.parent
                line = Static(text, id=f"{key}-error", classes="form--error -shown", markup=False)
                self.mount(line, after=below)  # type: ignore[arg-type]
            return
        if str(box.content) != text:
            box.update(text)
        box.set_class(bool(reason), "-shown")

    def set_preview(self, preview: Preview) -> None:
        """What the plan says about the form (refusals); enables Write when all is well."""
        self._preview = preview
        if self.learning is not None and not self._learn_started:
            # after the frame that shows the repo: learning reads files again (~60 ms on the demo)
            self._learn_started = True
            self.call_after_refresh(self._learn, *self.learning)
        self._plan_problems = list(preview.problems)
        self._files = len(preview.plan.files) if preview.plan else 0
        self._update_status()

    @property
    def write_blocker(self) -> str | None:
        """Why Write is disabled now (None: it is enabled); the app asks the same on ctrl+s."""
        from infra_tui.core.preview import write_blocker  # loaded by the preview worker already

        state = self.state
        return write_blocker(state.fields, state.errors, state.missing, self._preview)

    def _update_status(self) -> None:
        if not self.built:
            return
        status = self.query_one("#form-status", Static)
        state = self.state
        if state.errors:
            text = f"✗ fix {len(state.errors)} field{'s' if len(state.errors) > 1 else ''}: " + ", ".join(
                state.errors
            )
        elif state.missing:
            text = "needs: " + ", ".join(state.missing)
        elif self._plan_problems:
            text = "✗ " + "\n✗ ".join(self._plan_problems)
        elif self._files:
            text = f"✓ plan valid: {self._files} files"
        else:
            text = "planning…"
        ok = self.write_blocker is None
        if str(status.content) != text:
            status.update(text, layout=False)
        status.set_class(ok, "-ok")
        status.set_class(not ok, "-blocked")
        self.query_one("#write", Button).disabled = not ok

    # -- events ------------------------------------------------------------------------

    @on(Input.Changed, ".form--row > Input")
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged, "#envs, #creates")
    @on(DependencyPicker.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        self._emit()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """The values editor changed (a handler by name: ``TextArea`` is imported with the editor)."""
        if event.text_area.id == "values":
            event.stop()
            self._emit()

    @on(Button.Pressed, "#write")
    def _write(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.WriteRequested())
