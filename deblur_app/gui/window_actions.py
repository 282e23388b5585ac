"""The window's actions, menus and toolbar, built once.

A mixin of :class:`~deblur_app.gui.main_window.MainWindow`, in the way Qt Designer's
``setupUi`` fills a window: the actions stay attributes of the window (``act_save``...)
while their long construction lives here. Whether each is enabled is decided in
``MainWindow.update_actions``.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QToolBar, QToolButton

from ..reasons import file_name, one_line_name
from . import i18n, network_notes
from .i18n import plain_text
from .icons import icon
from .language_menu import LanguageMenu
from .viewers import MODES, mode_title

# the texts belong to the window: translated in its context, whichever file builds them
translate = QCoreApplication.translate
MODE_KEYS = {"side": "F5", "split": "F6", "scales": "F7", "difference": "F8"}
MODE_TIPS = {  # translated where shown
    "side": QT_TRANSLATE_NOOP("MainWindow", "Original and result next to each other, zoom and pan linked"),
    "split": QT_TRANSLATE_NOOP("MainWindow", "One image with a draggable divider: original left, result right"),
    "scales": QT_TRANSLATE_NOOP("MainWindow",
                                "The network's ¼, ½ and full outputs under the input reduced the same way"),
    "difference": QT_TRANSLATE_NOOP("MainWindow", "Heatmap of where the network changed the photo"),
}


class CollapseWhenWidened(QObject):
    """The toolbar's overflow arrow, clicked in a narrow window, shows the hidden tools in more rows and stays
    pressed until clicked again: Qt keeps the arrow while the toolbar is expanded, so a window widened after it
    showed the arrow beside tools that all fit. A wider toolbar closes the expansion; Qt then shows the arrow only
    where tools are still hidden."""

    def __init__(self, toolbar: QToolBar, arrow: QToolButton) -> None:
        super().__init__(toolbar)
        self.toolbar, self.arrow = toolbar, arrow
        toolbar.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (event.type() == QEvent.Type.Resize and self.arrow.isChecked()
                and event.size().width() > event.oldSize().width()):
            QTimer.singleShot(0, self._collapse)  # after the resize: the toolbar lays itself out again
        return False

    def _collapse(self) -> None:
        if not self.arrow.isChecked():
            return
        # Qt lays the tools out again after an animated collapse only where the toolbar stays expanded: collapsed
        # at once, not animated, and laid out once more, the arrow shows only where tools are still hidden
        window = self.toolbar.parentWidget()
        animated = window.isAnimated()
        window.setAnimated(False)
        try:
            self.arrow.click()  # what Qt's toolbar listens to (clicked, unchecked): it collapses
        finally:
            window.setAnimated(animated)
        layout = self.toolbar.layout()
        layout.invalidate()
        layout.activate()


class WindowActions:
    """Actions, menus and toolbar of the main window (see the module docstring)."""

    def _build_actions(self) -> None:
        self._create_actions()
        self._create_scan_actions()
        self._create_menus()
        self._create_toolbar()
        for action in (self.act_deblur, self.act_save, self.act_save_as, self.act_close_photo):
            self.filmstrip.addAction(action)

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None, tip: str = "",
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            keys = QKeySequence(shortcuts[0]).toString(QKeySequence.SequenceFormat.NativeText)
            tip = translate("MainWindow", "{tip} ({shortcut})").format(tip=tip, shortcut=keys) if tip else tip
        action.setIconText(plain_text(text))  # tool buttons: no '(&O)' mnemonic
        action.setToolTip(tip or plain_text(text))
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _create_actions(self) -> None:
        self._create_file_actions()
        self._create_run_actions()
        self._create_view_actions()
        a = self._action
        self.act_about = a(translate("MainWindow", "&About Deblur"), self.show_about, None, "about",
                           translate("MainWindow", "Version, weights, devices"))
        self.act_about_qt = a(translate("MainWindow", "About &Qt"), QApplication.aboutQt, None, None,
                              translate("MainWindow", "The Qt version in use"))

    def _create_file_actions(self) -> None:
        a = self._action
        self.act_open = a(translate("MainWindow", "&Open…"), self.opening.open_dialog, QKeySequence.StandardKey.Open, "open",
                          translate("MainWindow", "Open one or more photos"))
        self.act_save = a(translate("MainWindow", "&Save"), self.saving.save, QKeySequence.StandardKey.Save, "save",
                          translate("MainWindow", "Save the deblurred photo as {name}_deblurred beside the original"))
        self.act_save_as = a(translate("MainWindow", "Save &As…"), self.saving.save_as, "Ctrl+Shift+S", "save_as",
                             translate("MainWindow", "Save the deblurred photo with a chosen name, format and quality"))
        self.act_save_all = a(translate("MainWindow", "Save A&ll"), self.saving.save_all, "Ctrl+Alt+S", "save",
                              translate("MainWindow", "Save every deblurred photo not saved yet, each beside its original"))
        self.act_batch = a(translate("MainWindow", "&Batch…"), self.show_batch, "Ctrl+B", "batch",
                           translate("MainWindow", "Deblur every photo in a folder"))
        self.act_close_photo = a(translate("MainWindow", "&Close Photo"), self.opening.close_current,
                                 QKeySequence.StandardKey.Close, "close",
                                 translate("MainWindow", "Remove the selected photo from the list"))
        self.act_clear_recent = a(translate("MainWindow", "Clear Recent"), self._clear_recent, None, "clear",
                                  translate("MainWindow", "Forget the recent photos"))
        self.act_quit = a(translate("MainWindow", "&Quit"), self.close, QKeySequence.StandardKey.Quit, "quit",
                          translate("MainWindow", "Close the window"))
        self.act_weights = a(translate("MainWindow", "&Weights…"), self.show_weights, None, "weights",
                             translate("MainWindow", "Download the paper's weights; install or remove weights files"))

    def _create_run_actions(self) -> None:
        a = self._action
        self.act_deblur = a(translate("MainWindow", "&Deblur"), self.deblur, "Ctrl+R", "deblur",
                            translate("MainWindow", "Deblur the whole photo"))
        self.act_preview = a(translate("MainWindow", "&Preview Visible Area"), self.run_commands.preview, "Ctrl+Shift+R", "preview",
                             translate("MainWindow", "Deblur only the area in view at 100 %, to judge the effect in seconds"))
        self.act_cancel = a(translate("MainWindow", "&Cancel"), self.cancel, "Esc", "cancel",
                            translate("MainWindow", "Stop the run; the previous result stays"))

    def _create_view_actions(self) -> None:
        a = self._action
        self.act_zoom_in = a(translate("MainWindow", "Zoom &In"), lambda: self.viewers.zoom_step(1),
                             [QKeySequence.StandardKey.ZoomIn, "Ctrl+="], "zoom_in", translate("MainWindow", "Zoom in"))
        self.act_zoom_out = a(translate("MainWindow", "Zoom &Out"), lambda: self.viewers.zoom_step(-1),
                              QKeySequence.StandardKey.ZoomOut, "zoom_out", translate("MainWindow", "Zoom out"))
        self.act_fit = a(translate("MainWindow", "&Fit to Window"), self.viewers.fit, "Ctrl+0", "fit",
                         translate("MainWindow", "Show the whole photo"))
        self.act_actual = a(translate("MainWindow", "&Actual Pixels (100 %)"), self.viewers.actual_size, "Ctrl+1",
                            "actual", translate("MainWindow", "One photo pixel per screen pixel"))
        self.act_original = a(translate("MainWindow", "Show &Original"), self._toggle_original, None, "original",
                              translate("MainWindow", "Show the original in every view; hold Space to peek"),
                              checkable=True)
        self.act_next = a(translate("MainWindow", "&Next Photo"), lambda: self._step_photo(1), "Alt+Down", None,
                          translate("MainWindow", "Show the next photo in the list"))
        self.act_previous = a(translate("MainWindow", "P&revious Photo"), lambda: self._step_photo(-1), "Alt+Up", None,
                              translate("MainWindow", "Show the previous photo in the list"))
        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[str, QAction] = {}
        for mode in MODES:
            action = a(mode_title(mode), lambda _checked=False, m=mode: self.set_view_mode(m), MODE_KEYS[mode],
                       mode, translate("MainWindow", MODE_TIPS[mode]), checkable=True)
            self.mode_group.addAction(action)
            self.mode_actions[mode] = action
        self._scales_tip = self.mode_actions["scales"].toolTip()  # with its key: "… (F7)"

    def _create_scan_actions(self) -> None:
        a, scanning = self._action, self.scanning
        self.act_scan = a(translate("MainWindow", "Sca&n Folder…"), scanning.scan_folder_dialog, "Ctrl+Shift+O", "open",
                          translate("MainWindow", "Score every photo of a folder for blur and list them with a blur badge"))
        self.act_sort_blur = a(translate("MainWindow", "Sort by &Blur"), scanning.sort_by_blur, None, None,
                               translate("MainWindow", "Blurriest photos first"))
        self.act_only_blurred = a(translate("MainWindow", "Show Only B&lurred"), scanning.show_only_blurred, None, None,
                                  translate("MainWindow", "Hide the photos the scan found sharp"), checkable=True)
        self.act_select_blurred = a(translate("MainWindow", "Select Bl&urred"), scanning.select_blurred, None, None,
                                    translate("MainWindow", "Select every photo the scan found blurred"))
        self.act_batch_blurred = a(translate("MainWindow", "Batch the Blurred…"), scanning.batch_blurred, None, "batch",
                                   translate("MainWindow", "Deblur the scanned folder's blurred photos in a batch"))
        for action in (self.act_sort_blur, self.act_only_blurred, self.act_select_blurred, self.act_batch_blurred):
            action.setEnabled(False)  # until a folder is scanned

    def scan_changed(self) -> None:
        """The Blur menu is offered once a folder is scanned; Scan Folder… while no scan runs."""
        scanned = self.scanning.scanned
        for action in (self.act_sort_blur, self.act_only_blurred, self.act_select_blurred, self.act_batch_blurred):
            action.setEnabled(scanned)
        self.act_scan.setEnabled(self.scanning.thread is None)
        self.update_actions()

    def _add_blur_menu(self, view_menu) -> None:
        blur_menu = view_menu.addMenu(translate("MainWindow", "&Blur"))
        for action in (self.act_sort_blur, self.act_only_blurred, self.act_select_blurred, self.act_batch_blurred):
            blur_menu.addAction(action)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(translate("MainWindow", "&File"))
        file_menu.addAction(self.act_open)
        self.recent_menu = file_menu.addMenu(icon("recent"), translate("MainWindow", "Open &Recent"))
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(self.act_scan)
        file_menu.addSeparator()
        file_menu.addAction(self.act_save)
        file_menu.addAction(self.act_save_as)
        file_menu.addAction(self.act_save_all)
        file_menu.addSeparator()
        file_menu.addAction(self.act_batch)
        file_menu.addAction(self.act_weights)
        file_menu.addSeparator()
        file_menu.addAction(self.act_close_photo)
        file_menu.addAction(self.act_quit)
        view_menu = bar.addMenu(translate("MainWindow", "&View"))
        for mode in MODES:
            view_menu.addAction(self.mode_actions[mode])
        view_menu.addSeparator()
        view_menu.addAction(self.act_original)
        view_menu.addSeparator()
        for action in (self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_actual):
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.act_next)
        view_menu.addAction(self.act_previous)
        self._add_blur_menu(view_menu)
        view_menu.addSeparator()
        self.language_menu = LanguageMenu(self.settings, self)
        self.language_menu.language_chosen.connect(self._language_chosen)
        view_menu.addMenu(self.language_menu)
        run_menu = bar.addMenu(translate("MainWindow", "&Process"))
        for action in (self.act_deblur, self.act_preview, self.act_cancel):
            run_menu.addAction(action)
        run_menu.setToolTipsVisible(True)  # a disabled Compare Networks… says why
        self.run_menu = run_menu
        help_menu = bar.addMenu(translate("MainWindow", "&Help"))
        help_menu.addAction(self.act_about)
        help_menu.addAction(self.act_about_qt)

    def _create_toolbar(self) -> None:
        toolbar = QToolBar(translate("MainWindow", "Main"))
        toolbar.setObjectName("main-toolbar")
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        for action in (self.act_open, self.act_save, self.act_save_as):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for mode in MODES:
            toolbar.addAction(self.mode_actions[mode])
        toolbar.addSeparator()
        for action in (self.act_zoom_out, self.act_zoom_in, self.act_fit, self.act_actual):
            toolbar.addAction(action)
            toolbar.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        toolbar.addSeparator()
        toolbar.addAction(self.act_batch)
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        # the arrow of the buttons a narrow window hides: Fusion draws it dark grey on the dark toolbar
        extension = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        if extension is not None:
            extension.setIcon(icon("overflow"))
            extension.setToolTip(translate("MainWindow", "More tools"))
            CollapseWhenWidened(toolbar, extension)

    def _add_compare_action(self) -> None:
        """Compare Networks… (compare.py) in the Process menu, after Preview, and on the toolbar after the views."""
        self.run_menu.insertAction(self.act_cancel, self.act_compare)
        self.toolbar.insertAction(self.act_zoom_out, self.act_compare)
        self.toolbar.insertSeparator(self.act_zoom_out)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for index, path in enumerate(files):
            # a menu's '&' marks the shortcut letter: "Tom & Jerry.jpg" is written "Tom && Jerry.jpg" to show its '&'
            name = file_name(path).replace("&", "&&")
            action = self.recent_menu.addAction(f"&{index + 1 if index < 9 else 0}  {name}")
            action.setToolTip(one_line_name(path))
            action.triggered.connect(lambda _checked=False, p=path: self.opening.open_paths([p]))
        if not files:
            self.recent_menu.addAction(translate("MainWindow", "No recent photos")).setEnabled(False)
        self.recent_menu.addSeparator()
        self.recent_menu.addAction(self.act_clear_recent)

    def _language_chosen(self, code: str) -> None:
        """Says when the new language comes, in the window's language and in the new one: a user choosing 简体中文
        was told in English alone."""
        note = QT_TRANSLATE_NOOP("MainWindow", "The new language is used from the next start")
        now, coming = translate("MainWindow", note), i18n.in_language(code, "MainWindow", note)
        self.statusBar().showMessage(now if coming == now else f"{now} · {coming}", 10000)

    def _clear_recent(self) -> None:
        self.settings.clear_recent()
        self.update_actions()

    def _offer_network_views(self) -> None:
        """What depends on the chosen network: the Scales view (where it, or the selected photo's result, has ¼ and
        ½ outputs: a MIMO-UNet result keeps its scales while NAFNet is chosen for the next run) and the expected
        time of a slow network, said before it runs."""
        key = self.panel.model_combo.currentData()
        photo = self.current_photo()
        result_has_scales = photo is not None and photo.result is not None and photo.result.has_scales
        network_coarse = key is None or key not in network_notes.VARIANTS or network_notes.has_coarse_outputs(key)
        coarse = network_coarse or result_has_scales
        # the user's Scales comes back where it shows scales, or will after the run: not on a NAFNet result
        # (not while a preview is run or shown: it showed side by side, having no scales)
        previewing = photo is not None and (photo.preview is not None or self.runs.previewing(photo.key))
        scales_to_show = result_has_scales or (network_coarse and not previewing
                                               and (photo is None or photo.result is None))
        if self.chosen_view == "difference" and self.viewers.mode() == "side" and photo is not None \
                and photo.shown_outcome is not None:
            self.show_view_mode("difference")  # a preview from Difference showed side by side until it came
        action = self.mode_actions["scales"]
        action.setEnabled(coarse)
        if coarse:
            tip = self._scales_tip
            if self.chosen_view == "scales" and self.viewers.mode() != "scales" and scales_to_show:
                self.show_view_mode("scales")  # the user's view comes back with a photo that has it
        else:
            tip = network_notes.no_scales_to_show(network_notes.VARIANTS[key].display_name)
            if self.viewers.mode() == "scales":
                self.show_view_mode("side")  # for now: the user's choice stays Scales
        action.setToolTip(tip)
        action.setStatusTip(tip)  # the status bar said what the greyed-out view shows, not why it is greyed out
        pixels = photo.image.width * photo.image.height if photo is not None and photo.loaded else 0
        on_cpu = self.runs_on_cpu()
        # the speed of this session's CPU runs of each network (the last one of each counts)
        speeds = {variant: speed for (variant, run_device, _precision), speed in self.runs.speeds.items()
                  if run_device in ("cpu", "auto")}
        computed = None
        if pixels:
            height, width, loaded = photo.image.height, photo.image.width, self.engine.loaded_model

            def computed(variant: str, tile: int | None) -> int:  # its tiles as the engine plans them
                planner = loaded.planner if loaded is not None and loaded.variant == variant else None
                return network_notes.computed_pixels(variant, height, width, tile, planner)
        self.panel.show_photo_size(pixels, os.cpu_count() or 1, on_cpu, speeds, computed)
