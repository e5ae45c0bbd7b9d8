"""Keys and pastes reach the app one at a time, in the order they were typed.

Textual routes a key in two phases: the app forwards it to the focused widget at once (a post to
that widget's queue), and the key's non-priority bindings (Tab -> focus next, Enter -> submit,
the graph's arrows) run only when the key, not handled by the widget, has bubbled back up to the
app, one queue hop per ancestor; a focus change asked for by a handler (``widget.focus()``) is
one more message still. Keys that arrive together, because the terminal delivered them in one
read (a fast typist, a paste, ``tmux send-keys``, a busy event loop), are all forwarded to the
widget focused before the first of them: ``my-cache<Tab>redis`` lands as ``my-cacheredis`` in one
field and the Tab moves the focus afterwards. A bare Textual app does this too when it is busy
enough; this app, which plans on every keystroke, made it happen under tmux at any speed.

``OrderedKeysApp`` holds every later key (and paste) back until the one before it has finished
its whole route, as if it had been typed slowly: a marker follows the key from the widget it was
forwarded to, up through the same queues it bubbles through, to the app, where it arrives after
the key's bindings ran; then the next key waits until the messages the key caused (a deferred
focus change, an ``Input.Submitted`` and its handlers) have been handled, and goes to whatever is
focused by then.

``hold_keys`` / ``release_keys`` keep every key (and paste) queued while the app cannot take them
yet (the wizard mounts its lower fields after the first frame): they are routed, in order, once
the last hold is released.
"""

from __future__ import annotations

import asyncio
from collections import deque
from time import monotonic
from typing import Any

from textual import events
from textual.app import App, ReturnType
from textual.dom import DOMNode
from textual.message_pump import MessagePump

STUCK_AFTER = 2.0
"""Seconds after which a key whose route never finished stops holding the next ones back (a
widget removed while it handled the key, a handler that waits on something else): late keys are
better than keys stuck forever."""

YIELDS = 20
"""Turns of the event loop to wait for the other widgets' queues before waiting in 1 ms steps."""


class OrderedKeysApp(App[ReturnType]):
    """An App whose keys and pastes are routed strictly one after another."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_keys: deque[events.Key | events.Paste] = deque()
        self._key_in_flight: events.Key | events.Paste | None = None
        self._route_deadline = 0.0
        self._route_target: MessagePump | None = None
        self._key_holds = 0
        self.last_key_at = 0.0
        """``time.monotonic()`` of the last key (or paste) received: work that can wait runs when the
        user has stopped typing."""

    @property
    def keys_pending(self) -> bool:
        """Keys (or a paste) received and not yet fully handled, or keys are held back."""
        return bool(self._held_keys) or self._key_in_flight is not None or self._key_holds > 0

    def hold_keys(self) -> None:
        """Queue every key from now on until ``release_keys`` (holds nest)."""
        self._key_holds += 1

    def release_keys(self) -> None:
        """End one ``hold_keys``; after the last, the queued keys are routed in order."""
        self._key_holds = max(0, self._key_holds - 1)
        if not self._key_holds and self._key_in_flight is None and self._held_keys:
            self.call_later(self._route_next_key)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self.last_key_at = monotonic()
            self._held_keys.append(event)
            if self._key_in_flight is None and not self._key_holds:
                await self._route_next_key()
            return
        await super().on_event(event)

    async def _route_next_key(self) -> None:
        if self._key_in_flight is not None:
            return  # (``release_keys``' call, when a key was routed in between)
        while self._held_keys and not self._key_holds:
            event = self._held_keys.popleft()
            self._key_in_flight = event
            await super().on_event(event)  # priority bindings, else forwarded to the focus
            self._route_deadline = monotonic() + STUCK_AFTER
            self._route_target = self.focused or self.screen
            if event.is_forwarded and self._follow(self._route_target, event):
                self.set_timer(STUCK_AFTER, lambda event=event: self._release(event))
                return
            # handled here by a priority binding (or nothing takes it): wait for what it caused
            self.call_later(self._key_routed, event)
            return
        self._key_in_flight = None

    def _follow(self, node: MessagePump, event: events.Event) -> bool:
        """Queue the marker behind ``event`` at ``node``; False when ``node`` takes no messages."""
        if node is self:
            return self.call_later(self._key_routed, event)
        return node.call_later(self._marker_at, node, event)

    def _marker_at(self, node: MessagePump, event: events.Event) -> None:
        """``node`` has dispatched ``event``; follow it one level up, as it bubbles."""
        parent = node.parent if isinstance(node, DOMNode) else None
        if parent is None or not self._follow(parent, event):
            self.call_later(self._key_routed, event)

    async def _key_routed(self, event: events.Event) -> None:
        """``event`` went its whole way; route the next key once what it caused was handled."""
        turns = 0
        while event is self._key_in_flight:
            if not self._message_queue.empty() or self._pending_message is not None:
                self.call_later(self._key_routed, event)  # the app's own messages first (focus changes)
                return
            if self._quiet() or monotonic() > self._route_deadline:
                await self._release(event)
                return
            turns += 1
            await asyncio.sleep(0 if turns < YIELDS else 0.001)

    def _quiet(self) -> bool:
        """No message waits at the widget the key went to, the focused one, or their ancestors:
        what a key causes there (``Input.Submitted``, a ``Focus``) bubbles along that chain.
        Other widgets (the preview, a validation run) may stay busy: keys never wait for them."""
        for start in (self._route_target, self.focused):
            node = start
            while isinstance(node, DOMNode) and node is not self:
                # Textual has no public "is a message waiting": a peeked message (can_replace) waits
                # in _pending_message, outside the queue
                if node.message_queue_size or node._pending_message is not None:  # noqa: SLF001
                    return False
                node = node.parent
        return True

    async def _release(self, event: events.Event) -> None:
        if event is self._key_in_flight:
            self._key_in_flight = None
            await self._route_next_key()
