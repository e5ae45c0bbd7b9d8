"""The edit form: an existing component prefilled from disk; every change becomes an edit spec.

The form shows what the repo has (``core.edit_fields.current``) and emits the edit spec that turns
it into what is typed (``core.edit_fields.edit_spec``); the preview pane plans it with
``core.edit.plan_edit``. The recreate verdict of the plan shows under the fields, before writing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from infra_tui.core import edit_fields
from infra_tui.widgets.component_form import DEFAULT_KINDS, DependencyPicker, FormState, parse_values
from infra_tui.widgets.toggles import OnOffCheckbox, OnOffSelectionList

if TYPE_CHECKING:
    from infra_tui.core.preview import Preview

PREVIEW_BUSY = "the preview is still being computed; try again"
TEXT_FIELDS = ("chart", "repo-url", "version", "timeout")

_W = TypeVar("_W", bound=Widget)


def env_area_id(env: str) -> str:
    return f"env-values-{env}"


class EditForm(VerticalScroll, can_focus=False):
    """Chart, version, repository, timeout, webhook, monitoring, CRD kinds, dependsOn, values and
    per-env values of one component, prefilled from disk."""

    DEFAULT_CSS = """
    EditForm {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        .form--title { text-style: bold; color: $accent; margin-bottom: 1; }
        .form--row { height: auto; }
        .form--label { width: 11; color: $text-muted; }
        .form--heading { color: $text-muted; }
        .form--row > Input { width: 1fr; }
        .form--row > Horizontal { height: auto; width: 1fr; }
        .form--error { color: $error; padding-left: 11; height: auto; display: none; }
        .form--error.-shown { display: block; }
        Input.-invalid { color: $error; text-style: bold; }
        Checkbox { border: none; padding: 0; height: 1; background: transparent; }
        #creates { height: auto; max-height: 5; border: none; padding: 0; width: 1fr; }
        .values { height: 8; }
        #recreate { height: auto; margin-top: 1; }
        #recreate.-yes { color: $warning; }
        #recreate.-no { color: $text-muted; }
        #form-status { height: auto; min-height: 2; margin-top: 1; }
        #form-status.-ok { color: $success; }
        #form-status.-blocked { color: $warning; }
        #write { width: 100%; }
    }
    """

    class Changed(Message):
        """A field changed; ``state.fields`` is ``{"component", "edit"}`` for ``preview.compute_edit``."""

        def __init__(self, form: EditForm, state: FormState) -> None:
            super().__init__()
            self.form = form
            self.state = state

        @property
        def control(self) -> EditForm:
            return self.form

    class WriteRequested(Message):
        """The Write button was pressed."""

    def __init__(self, component: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.component = component
        self.current: edit_fields.Current | None = None
        self.state = FormState({})
        self._preview: Preview | None = None
        self._loading = False
        self._widgets: dict[str, Widget] = {}
        self._errors: list[Static] | None = None
        self._texts: dict[Static, str] = {}
        """What each of the form's text boxes shows (``_show``)."""

    def _by_id(self, wid: str, kind: type[_W]) -> _W:
        """The form's widget ``#wid``, found once: the form is kept between components, and a
        query walks the whole form (every keystroke reads a dozen of them)."""
        widget = self._widgets.get(wid)
        if widget is None:
            widget = self._widgets[wid] = self.query_one(f"#{wid}", kind)
        return cast(_W, widget)

    def _error_boxes(self) -> list[Static]:
        if self._errors is None:
            self._errors = list(self.query(".form--error").results(Static))
        return self._errors

    def _show(self, box: Static, text: str) -> None:
        """``box`` shows ``text``: updated (and laid out again) only when that changes. Every change
        of a field reads the whole form again; most of its boxes stay as they were."""
        if self._texts.get(box) != text:
            self._texts[box] = text
            box.update(text)

    def _row(self, label: str, widget: Any, error_id: str | None = None) -> ComposeResult:
        with Horizontal(classes="form--row"):
            yield Label(label, classes="form--label")
            yield widget
        if error_id:
            yield Static("", id=error_id, classes="form--error", markup=False)

    def compose(self) -> ComposeResult:
        yield Static(f"Edit {self.component}", id="edit-title", classes="form--title", markup=False)
        yield from self._row("chart", Input(id="chart", compact=True), "chart-error")
        yield from self._row("repo url", Input(id="repo-url", compact=True), "repo-url-error")
        yield from self._row("version", Input(id="version", compact=True), "version-error")
        yield from self._row(
            "timeout", Input(placeholder="5m (Helm default)", id="timeout", compact=True), "timeout-error"
        )
        yield from self._row(
            "webhook", OnOffCheckbox("allow-k8s-api CiliumNetworkPolicy", id="webhook", compact=True)
        )
        with Horizontal(classes="form--row"):
            yield Label("monitoring", classes="form--label")
            with Horizontal():
                yield OnOffCheckbox("ServiceMonitor", id="sm", compact=True)
                yield OnOffCheckbox("PrometheusRule", id="pr", compact=True)
        yield from self._row(
            "creates",
            OnOffSelectionList(*[(k, k) for k in DEFAULT_KINDS], id="creates", compact=True),
            "creates-error",
        )
        yield from self._row("depends on", DependencyPicker(id="deps"))
        yield Label("values (YAML)", classes="form--heading")
        yield self._editor("values")
        yield Static("", id="values-error", classes="form--error", markup=False)
        yield Static("", id="recreate", markup=False)
        yield Static("loading…", id="form-status", markup=False)
        yield Button("Write  ctrl+s", id="write", variant="success", disabled=True, compact=True)

    def on_mount(self) -> None:
        if not getattr(self.app, "blink", True):
            # steady cursors (tests, screenshots): the app's own pass ran before this screen existed
            for field in self.query(Input):
                field.cursor_blink = False

    def _editor(self, widget_id: str) -> TextArea:
        area = TextArea(
            id=widget_id, classes="values", show_line_numbers=True, tab_behavior="indent", soft_wrap=False
        )
        area.indent_width = 2
        if not getattr(self.app, "blink", True):
            area.cursor_blink = False
        return area

    # -- loading -----------------------------------------------------------------------

    def set_component(self, component: str) -> None:
        """Another component: nothing is shown as its until ``load``."""
        self.component = component
        self.current = None
        self._preview = None
        self.state = FormState({})
        self._show(self._by_id("edit-title", Static), f"Edit {component}")
        self._show(self._by_id("form-status", Static), "loading…")
        self._show(self._by_id("recreate", Static), "")
        self._by_id("write", Button).disabled = True

    def load(self, cur: edit_fields.Current, kinds: list[str]) -> None:
        """Fill every field from ``cur`` (what the repo has now)."""
        if getattr(self.app, "ending", False):
            return  # nothing is mounted any more (a per-env values editor would be missing)
        opening = self.current is None  # a component shown, not the reload after a write
        self.current = cur
        self._loading = True
        try:
            # the fields' own Changed messages would each read the whole form again (and update
            # its error lines) after this fill, which ends with that read: not posted, the first
            # frame of an open is not held up by some hundred messages they set off
            with self.prevent(Input.Changed, TextArea.Changed, Checkbox.Changed):
                self._fill_fields(cur, kinds, opening=opening)
        finally:
            self._loading = False
        self._emit()  # the first frame shows the form's state and status, not "loading…"

    def _fill_fields(self, cur: edit_fields.Current, kinds: list[str], *, opening: bool) -> None:
        """Every field from ``cur`` (``load``)."""
        for wid, value in (
            ("chart", cur.chart),
            ("repo-url", cur.repo_url),
            ("version", cur.version),
            ("timeout", cur.timeout),
        ):
            self._by_id(wid, Input).value = value
        # on open, the field with the focus (the version) has its text selected as
        # select-on-focus does, also when its Focus event came before this fill
        focused = self.screen.focused
        if opening and isinstance(focused, Input) and focused in self.query(".form--row > Input"):
            focused.select_all()
        self._by_id("webhook", Checkbox).value = cur.webhook
        self._by_id("sm", Checkbox).value = cur.service_monitor
        self._by_id("pr", Checkbox).value = cur.prometheus_rule
        creates = self._by_id("creates", SelectionList)
        with creates.prevent(SelectionList.SelectedChanged):
            creates.clear_options()
            all_kinds = list(dict.fromkeys([*kinds, *cur.creates]))
            creates.add_options([Selection(k, k, k in cur.creates) for k in all_kinds])
        picker = self._by_id("deps", DependencyPicker)
        picker.chosen = list(cur.depends_on)
        picker.set_names(cur.candidates)
        self._by_id("values", TextArea).text = edit_fields.values_text(cur.values)
        anchor = self.query_one("#values-error")
        for widget in self.query(".env-values"):  # shown again below for the envs it has
            if not widget.has_class("form--error"):  # (error lines show by their class)
                widget.display = False
        for env, values in cur.env_values.items():
            existing = self.query(f"#{env_area_id(env)}")
            if existing:  # loaded again (after a write, another component): the editor stays
                existing.first(TextArea).text = edit_fields.values_text(values)
                for widget in self.query(f"#{env_area_id(env)}, .-env-{env}"):
                    widget.display = True
                anchor = self.query_one(f"#{env_area_id(env)}-error")
                continue
            label = Label(f"values in {env} (a Flux patch)", classes=f"form--heading env-values -env-{env}")
            area = self._editor(env_area_id(env))
            area.add_class("env-values")
            area.text = edit_fields.values_text(values)
            error = Static("", id=f"{env_area_id(env)}-error", classes="form--error env-values", markup=False)
            self.mount_all([label, area, error], after=anchor)
            self._errors = None  # a new error line to show
            anchor = error
        if cur.problem:
            self._show(self._by_id("edit-title", Static), f"Edit {cur.name}: {cur.problem}")

    # -- state -------------------------------------------------------------------------

    def form_values(self) -> tuple[edit_fields.FormValues, dict[str, str]]:
        """What the fields hold, and the values editors that do not parse."""
        errors: dict[str, str] = {}
        values, why = parse_values(self._by_id("values", TextArea).text)
        if why:
            errors["values"] = why
        env_values: dict[str, dict[str, Any]] = {}
        for env in self.current.env_values if self.current else {}:
            vals, why = parse_values(self.query_one(f"#{env_area_id(env)}", TextArea).text)
            if why:
                errors[env_area_id(env)] = why
            env_values[env] = vals
        text = {key: self._by_id(key, Input).value.strip() for key in TEXT_FIELDS}
        return (
            edit_fields.FormValues(
                chart=text["chart"],
                version=text["version"],
                repo_url=text["repo-url"],
                timeout=text["timeout"],
                values=values,
                env_values=env_values,
                webhook=self._by_id("webhook", Checkbox).value,
                service_monitor=self._by_id("sm", Checkbox).value,
                prometheus_rule=self._by_id("pr", Checkbox).value,
                creates=list(self._by_id("creates", SelectionList).selected),
                depends_on=list(self._by_id("deps", DependencyPicker).chosen),
            ),
            errors,
        )

    def read(self) -> FormState:
        if self.current is None:
            return FormState({})
        form, errors = self.form_values()
        data, spec_errors = edit_fields.edit_spec(self.current, form)
        errors.update(spec_errors)
        from infra_tui.core import spec as spec_mod  # the same judge as `infra-tui edit --spec`

        for problem in spec_mod.parse_edit(data, self.component).problems:
            key = {"chart.version": "version", "chart.name": "chart", "chart.repository.url": "repo-url"}.get(
                problem.key, problem.key.split(".")[0] or "spec"
            )
            errors.setdefault(key, problem.message)
        return FormState({"component": self.component, "edit": data}, errors)

    def _emit(self) -> None:
        if self.current is None or self._loading:
            return
        self.state = self.read()
        for box in self._error_boxes():
            key = (box.id or "").removesuffix("-error")
            reason = self.state.errors.get(key)
            self._show(box, f"✗ {reason}" if reason else "")
            box.set_class(bool(reason), "-shown")
        for key in TEXT_FIELDS:
            self._by_id(key, Input).set_class(key in self.state.errors, "-invalid")
        self._update_status()
        self.post_message(self.Changed(self, self.state))

    def set_preview(self, preview: Preview) -> None:
        """The plan of the fields on screen: its recreate verdict, and whether Write is enabled."""
        self._preview = preview
        self._update_status()

    @property
    def write_blocker(self) -> str | None:
        """Why Write is disabled now (None: it is enabled)."""
        cur, state = self.current, self.state
        if cur is None:
            return "the component is still loading"
        if cur.problem:
            return cur.problem
        if state.errors:
            return "fix the fields marked ✗ first: " + ", ".join(state.errors)
        if not state.fields.get("edit"):
            return "nothing changed yet: change a field"
        preview = self._preview
        if preview is None or preview.fields != state.fields:
            return PREVIEW_BUSY
        if not preview.writable:
            return "the plan cannot be written: " + "; ".join(preview.problems or ["it changes nothing"])
        return None

    def recreate_verdict(self) -> str:
        """The recreate verdict of the plan on screen ("" when there is none yet)."""
        preview = self._preview
        if (
            preview is None
            or preview.plan is None
            or not preview.plan.files
            or preview.fields != self.state.fields
        ):
            return ""
        from infra_tui.core.summary import RECREATE_BLOCK, recreate_lines

        plan = preview.plan
        if plan.recreate_required:
            return f"Recreate: YES: {plan.recreate_reason}\n{RECREATE_BLOCK}"
        return "Recreate: " + recreate_lines(plan)[0].removeprefix("- ")

    def _update_status(self) -> None:
        why = self.write_blocker
        status = self._by_id("form-status", Static)
        if why is None:
            plan = self._preview.plan if self._preview else None
            n = len(plan.files) if plan else 0
            text = f"✓ plan valid: {n} file{'s' if n != 1 else ''} change"
        elif why == PREVIEW_BUSY:
            text = "planning…"
        else:
            text = f"✗ {why}" if not why.startswith("nothing changed") else why
        self._show(status, text)
        status.set_class(why is None, "-ok")
        status.set_class(why is not None, "-blocked")
        self._by_id("write", Button).disabled = why is not None
        verdict = self.recreate_verdict()
        box = self._by_id("recreate", Static)
        self._show(box, verdict)
        box.set_class(verdict.startswith("Recreate: YES"), "-yes")
        box.set_class(verdict.startswith("Recreate: NO"), "-no")

    # -- events ------------------------------------------------------------------------

    @on(Input.Changed, ".form--row > Input")
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged, "#creates")
    @on(DependencyPicker.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        self._emit()

    @on(Button.Pressed, "#write")
    def _write(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.WriteRequested())
