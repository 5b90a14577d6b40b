"""The pygame window in which a person compares clips while the agent trains.

Two clips loop side by side, in sync, under the question being asked. Left/Right arrow
(or a click on a clip): that clip is better; Up: about equal; Down: can't tell (skipped,
never trained on); u: undo the last answer; space: pause; -/=: slower/faster; q, Esc or
closing the window: quit. The window can be resized or maximised: the clips scale with
it. Every answer is committed to the run's label store the moment it is given.

A pair left on screen longer than a claim lasts (``LabelStore.claim_query``) may be
claimed and answered by another window; the first answer stands, and the later one is
told so (footer and a printed line) and moves on.
"""

from __future__ import annotations

import getpass
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from backflip.errors import BackflipError  # noqa: E402
from backflip.labelling.pair_source import PairSource, ReadyPair  # noqa: E402
from backflip.preference.oracle import Oracle  # noqa: E402
from backflip.records import Comparison  # noqa: E402
from backflip.storage.label_store import AnsweredMeanwhile, LabelStore  # noqa: E402
from backflip.storage.run_dir import RunDir  # noqa: E402

Choice = tuple[float | None] | str | None

HELP = (
    "<- left better   -> right better   ^ equal   v can't tell   "
    "u undo   space pause   -/= speed   q quit"
)
PAD, HEADER, FOOTER = 8, 52, 44
SPEEDS = (0.125, 0.25, 0.5, 1.0, 2.0)
MIN_SIZE = (160, 120)
"""the smallest window (pixels) a resize leaves."""


class WindowError(BackflipError):
    """The labelling window cannot open here."""


def check_display() -> None:
    """Raises :class:`WindowError` where no window can open: on Linux without an X or
    Wayland display, unless SDL is told which video driver to use (``SDL_VIDEODRIVER``)."""
    if os.environ.get("SDL_VIDEODRIVER") or not sys.platform.startswith("linux"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise WindowError(
            "no display to open the labelling window on (DISPLAY and WAYLAND_DISPLAY are "
            "not set): run it on a desktop, over ssh -X, or under xvfb-run"
        )


def default_labeller() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "person"


class LabelWindow:
    """Shows claimed queries and stores the answers; ``run()`` returns labels given.

    Args:
        run_dir: the trainer's run directory (label store and clips).
        env_id: the env the clips come from (for rendering).
        labeller: name stored with each answer.
        width, height: size in pixels at which clips are rendered, and of each clip panel
            until the window is resized.
        synthetic_human: if given, answers by posting the key this oracle would press,
            ``think_s`` after a pair appears (tests and demos drive the real window).
        max_labels: stop after this many answers (None: until quit).
        screenshot: save the window to this PNG once the first pair is on screen.
        on_frame: called before each frame with the window and the pair on screen
            (tests post their events from it).
        question: shown above the clips.
    """

    def __init__(
        self,
        run_dir: RunDir,
        env_id: str,
        labeller: str,
        width: int = 320,
        height: int = 240,
        synthetic_human: Oracle | None = None,
        think_s: float = 0.2,
        max_labels: int | None = None,
        screenshot: Path | None = None,
        on_frame: Callable[[LabelWindow, ReadyPair | None], None] | None = None,
        question: str = "Which clip is better?",
    ) -> None:
        self.run_dir, self.env_id, self.labeller = run_dir, env_id, labeller
        self.width, self.height = width, height
        self.question = question
        self.window_size = (2 * width + 3 * PAD, HEADER + height + FOOTER)
        self.synthetic_human, self.think_s = synthetic_human, think_s
        self.max_labels, self.screenshot = max_labels, screenshot
        self.on_frame = on_frame
        self.given = 0
        self.undo_stack: list[int] = []
        self.message = ""

    # -- geometry -------------------------------------------------------------------------
    def panel_size(self) -> tuple[int, int]:
        """``(w, h)`` of each clip panel: the clips' aspect, as large as the window allows."""
        room_w = (self.window_size[0] - 3 * PAD) / 2
        room_h = self.window_size[1] - HEADER - FOOTER
        scale = max(min(room_w / self.width, room_h / self.height), 1e-3)
        return max(1, int(self.width * scale)), max(1, int(self.height * scale))

    def panel(self, side: int) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` of the left (0) or right (1) clip panel."""
        w, h = self.panel_size()
        return (PAD + side * (w + PAD), HEADER, w, h)

    def resize(self, size: tuple[int, int]) -> pygame.Surface:
        """The window at ``size`` (pixels, at least :data:`MIN_SIZE`)."""
        self.window_size = (max(size[0], MIN_SIZE[0]), max(size[1], MIN_SIZE[1]))
        try:
            return pygame.display.set_mode(self.window_size, pygame.RESIZABLE)
        except pygame.error as err:
            raise WindowError(f"cannot open the labelling window ({err})") from None

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> int:
        pygame.display.init()  # no audio: pygame.init() would open the sound card
        pygame.font.init()
        screen = self.resize(self.window_size)
        pygame.display.set_caption(f"backflip label - {self.run_dir.root}")
        fonts = (pygame.font.Font(None, 20), pygame.font.Font(None, 28))
        clock = pygame.time.Clock()
        store = self.run_dir.label_store()
        source = PairSource(self.run_dir, self.labeller, self.env_id, self.width, self.height)
        current: ReadyPair | None = None
        shown_at = 0.0
        frame = 0.0
        speed_index, paused = SPEEDS.index(1.0), False
        status, status_at = "", 0.0
        saved_screenshot = False
        pressed_for = -1
        try:
            running = True
            while running:
                if current is None:
                    current = self._next_open(store, source)
                    shown_at, frame = time.monotonic(), 0.0
                if self.on_frame is not None:
                    self.on_frame(self, current)
                now = time.monotonic()
                if now - status_at > 0.5:
                    status, status_at = self._status(store), now
                for event in pygame.event.get():
                    if event.type == pygame.VIDEORESIZE:
                        screen = self.resize((event.w, event.h))
                    choice = self._choice(event)
                    if choice == "quit":
                        running = False
                    elif choice == "undo":
                        self._undo(store)
                    elif choice == "pause":
                        paused = not paused
                    elif choice in ("slower", "faster"):
                        step = -1 if choice == "slower" else 1
                        speed_index = int(np.clip(speed_index + step, 0, len(SPEEDS) - 1))
                    elif isinstance(choice, tuple) and current is not None:
                        self._answer(store, source, current, choice[0])
                        current = None
                        status_at = 0.0
                        if self.max_labels is not None and self.given >= self.max_labels:
                            running = False
                if self.synthetic_human is not None:
                    if current is None:
                        running = running and not self._trainer_done(store)
                    elif now - shown_at >= self.think_s and pressed_for != current.query_id:
                        self._press_for(current)
                        pressed_for = current.query_id
                self._draw(screen, fonts, current, int(frame), status, SPEEDS[speed_index])
                pygame.display.flip()
                if current is not None and not saved_screenshot and self.screenshot:
                    pygame.image.save(screen, str(self.screenshot))
                    saved_screenshot = True
                if current is not None and not paused:
                    frame += SPEEDS[speed_index]
                clock.tick(30)
        finally:
            if current is not None:
                source.done_with(current.query_id)
                store.release(current.query_id, source.claimant)
            source.close(store)
            store.close()
            pygame.quit()
        return self.given

    # -- events ---------------------------------------------------------------------------
    def _choice(self, event: pygame.event.Event) -> Choice:
        """What an event asks for: ``(label,)``, a command name, or None."""
        if event.type == pygame.QUIT:
            return "quit"
        if event.type == pygame.MOUSEBUTTONDOWN:
            x, y = event.pos
            for side, label in ((0, 1.0), (1, 0.0)):
                px, py, w, h = self.panel(side)
                if px <= x < px + w and py <= y < py + h:
                    return (label,)
            return None
        if event.type != pygame.KEYDOWN:
            return None
        keys: dict[int, Choice] = {
            pygame.K_LEFT: (1.0,),
            pygame.K_RIGHT: (0.0,),
            pygame.K_UP: (0.5,),
            pygame.K_DOWN: (None,),
            pygame.K_u: "undo",
            pygame.K_q: "quit",
            pygame.K_ESCAPE: "quit",
            pygame.K_SPACE: "pause",
            pygame.K_MINUS: "slower",
            pygame.K_EQUALS: "faster",
        }
        return keys.get(event.key)

    def _answer(
        self, store: LabelStore, source: PairSource, pair: ReadyPair, label: float | None
    ) -> None:
        comparison = Comparison(pair.left_id, pair.right_id, label, "human", self.labeller)
        source.done_with(pair.query_id)
        try:
            store.answer(pair.query_id, comparison)
        except AnsweredMeanwhile as err:  # our claim went stale and another window answered
            self.message = f"that pair was answered meanwhile by {err.labeller}: next pair"
            print(
                f"pair {pair.query_id} was answered meanwhile by {err.labeller} (the pair had "
                "waited too long on screen): your answer is not stored, moving on"
            )
            return
        self.undo_stack.append(pair.query_id)
        self.given += 1
        self.message = ""

    @staticmethod
    def _next_open(store: LabelStore, source: PairSource) -> ReadyPair | None:
        """The next rendered pair, passing over any answered while it waited its turn."""
        while (pair := source.next()) is not None:
            if store.query_status(pair.query_id) != "answered":
                return pair
            source.done_with(pair.query_id)
        return None

    def _undo(self, store: LabelStore) -> None:
        if not self.undo_stack:
            self.message = "nothing to undo"
            return
        store.undo(self.undo_stack.pop())
        self.given -= 1
        self.message = "last answer undone: that pair will be asked again"

    def _press_for(self, pair: ReadyPair) -> None:
        """Posts the key the synthetic human presses for ``pair``."""
        assert self.synthetic_human is not None
        label = self.synthetic_human.compare(pair.left, pair.right)
        keys = {1.0: pygame.K_LEFT, 0.0: pygame.K_RIGHT, 0.5: pygame.K_UP}
        key = pygame.K_DOWN if label is None else keys[label]
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))

    @staticmethod
    def _trainer_done(store: LabelStore) -> bool:
        return store.trainer_status().state == "finished" and store.pending_count() == 0

    # -- drawing --------------------------------------------------------------------------
    def _status(self, store: LabelStore) -> str:
        trainer = store.trainer_status()
        budget = "?" if trainer.budget is None else trainer.budget
        updated = trainer.reward_updated_step
        reward = f", reward model updated at step {updated}" if updated is not None else ""
        return (
            f"labels {store.n_answered()}/{budget} (you: {self.given}), "
            f"waiting {store.pending_count()}  |  trainer: {trainer.state or 'not started'}, "
            f"{trainer.env_steps} steps{reward}"
        )

    def _draw(
        self,
        screen: pygame.Surface,
        fonts: tuple[pygame.font.Font, pygame.font.Font],
        pair: ReadyPair | None,
        frame: int,
        status: str,
        speed: float,
    ) -> None:
        font, big = fonts
        screen.fill((30, 30, 30))
        white, grey = (235, 235, 235), (150, 150, 150)
        screen.blit(big.render(self.question, True, white), (PAD, 6))
        screen.blit(font.render(HELP, True, grey), (PAD, 32))
        _, panel_h = self.panel_size()
        if pair is None:
            text = "no query waiting - the trainer will post more; polling..."
            if "finished" in status:
                text = "the trainer has finished: nothing more to label (q to quit)"
            screen.blit(font.render(text, True, white), (PAD, HEADER + panel_h // 2))
        else:
            for side, frames in enumerate((pair.left_frames, pair.right_frames)):
                image = np.ascontiguousarray(frames[frame % len(frames)].swapaxes(0, 1))
                x, y, w, h = self.panel(side)
                surface = pygame.surfarray.make_surface(image)
                if surface.get_size() != (w, h):
                    surface = pygame.transform.smoothscale(surface, (w, h))
                screen.blit(surface, (x, y))
        footer_y = HEADER + panel_h + 6
        screen.blit(font.render(status, True, white), (PAD, footer_y))
        extra = f"speed x{speed:g}" + (f"   {self.message}" if self.message else "")
        screen.blit(font.render(extra, True, grey), (PAD, footer_y + 18))
