"""The core's one-line reasons in the window's language (deblur_app/reasons.py, gui/reasons.py).

The errors are the real ones, raised by the core (image files, jobs, weights, the engine's
precision choice); under zh_CN the window shows them in Chinese, the file names and OS
errors they carry unchanged. The command line keeps the English.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deblur_app import imagefiles, reasons

REPO = Path(__file__).resolve().parent.parent
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def chinese(qapp):
    from deblur_app.gui import i18n

    assert i18n.install(qapp, "zh_CN") == "zh_CN"
    yield
    i18n.uninstall(qapp)


def core_error(call) -> reasons.ReasonText:
    """The reason the core's error carries (a Reason: its template and fields), as the window receives it."""
    with pytest.raises(Exception) as raised:
        call()
    return reasons.of(raised.value)


def shown(message: reasons.ReasonText) -> str:
    from deblur_app.gui.reasons import translated

    return translated(message)


def test_image_file_reasons_are_chinese_with_the_file_name_kept(chinese, tmp_path):
    (tmp_path / "junk.jpg").write_bytes(b"not a photo at all")
    imagefiles.save_image(tmp_path / "kept.png", np.zeros((4, 4, 3), np.float32))
    frames = [Image.new("RGB", (8, 8), (60 * i, 0, 0)) for i in range(2)]
    frames[0].save(tmp_path / "party.gif", save_all=True, append_images=frames[1:])

    missing = core_error(lambda: imagefiles.load_image(tmp_path / "gone.jpg"))
    junk = core_error(lambda: imagefiles.load_image(tmp_path / "junk.jpg"))
    exists = core_error(lambda: imagefiles.save_image(tmp_path / "kept.png", np.zeros((4, 4, 3), np.float32)))
    sixteen = core_error(lambda: imagefiles.save_image(tmp_path / "deep.jpg", np.zeros((4, 4, 3), np.float32),
                                                       bit_depth=16))
    gif = core_error(lambda: imagefiles.load_image(tmp_path / "party.gif"))
    animated = reasons.about(tmp_path / "party.gif",
                             imagefiles.several_pictures_reason(imagefiles.file_facts(tmp_path / "party.gif")))

    assert str(missing) == f"{tmp_path / 'gone.jpg'}: file not found"  # the command line's English is unchanged
    assert shown(missing) == f"{tmp_path / 'gone.jpg'}: 找不到文件"
    assert shown(junk).startswith(f"{tmp_path / 'junk.jpg'}: ") and "不是图像文件" in shown(junk)
    assert shown(exists) == f"{tmp_path / 'kept.png'}: 已存在（不会覆盖）"
    assert shown(sixteen) == f"{tmp_path / 'deep.jpg'}: 16 位输出需要 PNG 或 TIFF，而不是 JPEG"
    assert shown(gif) == f"{tmp_path / 'party.gif'}: 不支持的图像格式 GIF（请使用 JPEG、PNG、TIFF、WebP、BMP 或 HEIC）"
    assert shown(animated) == (f"{tmp_path / 'party.gif'}: 动态 GIF（2 帧）；只对单张图片的文件去模糊："
                               "请把需要的那一帧另存为单独的文件")


def test_batch_and_weights_reasons_are_chinese(chinese, tmp_path):
    from deblur_app import jobs
    from deblur_app.weights import store

    (tmp_path / "a-file").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    not_weights = tmp_path / "notes.txt"

    output_folder = core_error(lambda: jobs.prepare_output_folder(tmp_path / "a-file"))
    weights_missing = core_error(lambda: store.install_file(tmp_path / "nothing.pkl"))
    not_a_weights_file = core_error(lambda: store.install_file(not_weights))

    assert shown(output_folder) == f"{tmp_path / 'a-file'}: 是文件，不是存放输出的文件夹"
    assert shown(weights_missing) == f"{tmp_path / 'nothing.pkl'}: 找不到文件"
    assert shown(not_a_weights_file) == (f"{not_weights}: 不是权重文件（应为 .pkl、.pth、.pt、.safetensors，"
                                          "或包含其中之一的 .zip）")


def test_weights_install_and_download_reasons_are_chinese(chinese, tmp_path, monkeypatch):
    """Already installed, Google Drive's refusal and its quota page, a zip without weights (issue 22)."""
    import gdown
    import torch
    from conftest import checkpoint_bytes, conformance_state_dict
    from gdown.exceptions import FileURLRetrievalError

    from deblur_app.weights import store

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "mine").mkdir()
    (tmp_path / "MIMO-UNet.pkl").write_bytes(checkpoint_bytes("mimo-unet"))
    store.install_file(tmp_path / "MIMO-UNet.pkl")
    installed = store.user_weights_dir() / "MIMO-UNet.pkl"
    other = tmp_path / "mine" / "MIMO-UNet.pkl"
    torch.save({"model": {k: v * 0.5 for k, v in conformance_state_dict("mimo-unet").items()}}, other)  # other weights
    page = tmp_path / "page.pkl"
    page.write_text("<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head></html>")
    empty_zip = tmp_path / "release.zip"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("README.txt", "no weights here")

    already = core_error(lambda: store.download("mimo-unet"))
    replace = core_error(lambda: store.install_file(other))
    web_page = core_error(lambda: store.install_file(page))
    no_weights = core_error(lambda: store.install_file(empty_zip))
    (tmp_path / "data").rename(tmp_path / "elsewhere")  # nothing installed: the download is tried

    def quota_exceeded(**_):
        raise FileURLRetrievalError("Too many users have viewed or downloaded this file recently.")

    monkeypatch.setattr(gdown, "download", quota_exceeded)
    refused = core_error(lambda: store.download("mimo-unet"))
    monkeypatch.setattr(gdown, "download", lambda output, **_: Path(output).write_bytes(page.read_bytes()))
    downloaded_page = core_error(lambda: store.download("mimo-unet"))

    assert str(already) == f"MIMO-UNet: already installed at {installed}"  # the command line's English is unchanged
    assert shown(already) == f"MIMO-UNet: 已安装在 {installed}"
    assert "权重已安装在" in shown(replace) and "--overwrite" in shown(replace) and "already" not in shown(replace)
    # a page of the user's is another kind of file (the checkpoint reader's words); a download's page is Drive's
    assert shown(web_page) == f"{page}: 不是权重文件，而是一个网页（HTML）"
    assert shown(downloaded_page).startswith("MIMO-UNet: 收到的是网页而不是权重")
    assert shown(no_weights) == f"{empty_zip}: 该 zip 中没有权重文件（.pkl、.pth、.pt 或 .safetensors）"
    assert shown(refused).startswith("MIMO-UNet: Google 云端硬盘未提供该文件") and "请在浏览器中从 https://" in shown(refused)
    assert not re.search(r"[a-z]{4,} [a-z]{4,}", shown(refused).replace("weights install", "")), shown(refused)


def test_weights_file_reasons_are_chinese(chinese, tmp_path, monkeypatch):
    """The model's checks of a weights file, as the weights dialog shows them (issue 22)."""
    import torch
    from conftest import checkpoint_bytes, conformance_state_dict

    from deblur_app.model.checkpoints import load_checkpoint
    from deblur_app.weights import store

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    unet = tmp_path / "MIMO-UNet.pkl"
    unet.write_bytes(checkpoint_bytes("mimo-unet"))
    foreign = tmp_path / "resnet.pt"
    torch.save({"conv1.weight": torch.zeros(2, 2)}, foreign)
    pickled = tmp_path / "code.pth"
    torch.save({"model": {"x": Path("/")}}, pickled)
    state = conformance_state_dict("mimo-unet")
    state.pop(sorted(state)[-1])
    state["extra.weight"] = torch.zeros(1)
    odd = tmp_path / "odd.pth"
    torch.save({"model": state}, odd)

    other_network = core_error(lambda: load_checkpoint(unet, expected_variant="mimo-unet+"))
    unknown = core_error(lambda: store.install_file(foreign))
    refused = core_error(lambda: store.install_file(pickled))
    keys = core_error(lambda: load_checkpoint(odd))

    assert str(other_network) == f"{unet}: holds MIMO-UNet weights but MIMO-UNet+ was asked for"  # the CLI's English
    assert shown(other_network) == f"{unet}: 文件中是 MIMO-UNet 权重，但需要的是 MIMO-UNet+"
    assert shown(unknown).startswith(f"{foreign}: 不是本应用认识的网络的权重（") and "；键例如 conv1.weight" in shown(unknown)
    assert shown(refused) == f"{pickled}: 已拒绝：文件中含有张量以外的 Python 对象（检查点应只含权重；未执行其中任何内容）"
    assert shown(keys).startswith(f"{odd}: 不是 MIMO-UNet 检查点：缺少 1 个键（例如 "), shown(keys)
    assert "; 多出 1 个键（例如 extra.weight）" in shown(keys) and "missing" not in shown(keys)


def test_a_file_of_another_kind_offered_as_weights_is_named_in_chinese(chinese, tmp_path, monkeypatch):
    """"not a weights file but a PNG image": the kind is a reason of its own, translated inside the sentence."""
    from deblur_app.model.checkpoints import load_checkpoint
    from deblur_app.weights import store

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    photo = tmp_path / "photo.zip"
    Image.new("RGB", (8, 8)).save(photo, "PNG")
    page, notes, archive = tmp_path / "page.pth", tmp_path / "notes.pth", tmp_path / "archive.pt"
    page.write_text("<html><body>Sign in</body></html>")
    notes.write_text("the weights are on the release page\n")
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("readme.txt", "no checkpoint")

    image = core_error(lambda: store.install_file(photo))
    assert str(image) == f"{photo}: not a weights file but a PNG image"  # the command line's English
    assert shown(image) == f"{photo}: 不是权重文件，而是一张 PNG 图像"
    assert shown(core_error(lambda: load_checkpoint(page))) == f"{page}: 不是权重文件，而是一个网页（HTML）"
    assert shown(core_error(lambda: load_checkpoint(notes))) == f"{notes}: 不是权重文件，而是一个文本文件"
    assert shown(core_error(lambda: load_checkpoint(archive))) == (
        f"{archive}: 不是权重文件，而是一个不含 PyTorch 检查点的 zip 压缩包")


def test_raw_and_device_reasons_are_chinese(chinese, tmp_path):
    """LibRaw's refusals, a device or precision that cannot run, a network's float32 note (issue 22)."""
    import torch
    from rawfiles import dng_bytes

    from deblur_app.engine.devices import choose_precision, resolve_backend, resolve_device
    from deblur_app.model.registry import ARCHITECTURES

    (tmp_path / "cut.nef").write_bytes(dng_bytes()[:15000])
    (tmp_path / "fake.cr2").write_bytes(b"this is not a photo\n" * 40)

    cut = core_error(lambda: imagefiles.load_image(tmp_path / "cut.nef"))
    fake = core_error(lambda: imagefiles.load_image(tmp_path / "fake.cr2"))
    device = core_error(lambda: resolve_device("tpu"))
    fp16 = core_error(lambda: choose_precision("fp16", torch.device("cpu")))
    backend = core_error(lambda: resolve_backend("openvino", torch.device("meta")))
    note = reasons.reason(reasons.FP32_FOR_NETWORK, note=ARCHITECTURES["nafnet"].fp32_note)

    assert str(device).startswith("unknown device 'tpu'; choose one of ")  # the command line's English
    assert shown(cut) == f"{tmp_path / 'cut.nef'}: RAW 文件不完整或已损坏（LibRaw 无法读取其图像数据）"
    assert shown(fake) == f"{tmp_path / 'fake.cr2'}: 不是相机 RAW 文件，或 LibRaw 不支持该相机"
    assert shown(device).startswith("未知设备 'tpu'；请从 ") and shown(device).endswith(" 中选择")
    assert shown(fp16) == "CPU 不支持 fp16；请使用 bf16 或 fp32"
    assert shown(backend) == "OpenVINO 后端只能在 CPU 上运行；请使用 --device cpu 或 --backend torch"
    assert "NAFNet 的 int8 和 bf16 仅用于经测量能保持画质的权重" in shown(note) and "measured to keep" not in shown(note)


def test_colour_mode_and_weights_folder_reasons_are_chinese(chinese, tmp_path, monkeypatch):
    from conftest import checkpoint_bytes

    from deblur_app.weights import store

    Image.new("F", (4, 4)).save(tmp_path / "float.tif")  # 32-bit float samples: no depth the app reads
    (tmp_path / "MIMO-UNet.pkl").write_bytes(checkpoint_bytes("mimo-unet"))
    (tmp_path / "a-file").write_text("x")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "a-file" / "data"))  # the weights folder cannot be made

    mode = core_error(lambda: imagefiles.load_image(tmp_path / "float.tif"))
    folder = core_error(lambda: store.install_file(tmp_path / "MIMO-UNet.pkl"))

    assert shown(mode) == f"{tmp_path / 'float.tif'}: 32 位浮点像素（仅支持 8 位和 16 位图像）"
    assert str(folder).startswith(f"{tmp_path / 'MIMO-UNet.pkl'}: could not create the weights folder ")  # the CLI's English
    assert shown(folder).startswith(f"{tmp_path / 'MIMO-UNet.pkl'}: 无法创建权重文件夹 {tmp_path / 'a-file'}"), shown(folder)


def test_provenance_and_precision_reasons_are_chinese(chinese, tmp_path, monkeypatch):
    import torch

    from deblur_app.engine.devices import choose_precision
    from deblur_app.weights import origin

    weights = tmp_path / "MIMO-UNet.pkl"
    weights.write_bytes(b"x")
    origin.record_origin(weights, origin.MIRROR, "http://mirror.example/MIMO-UNet.pkl")
    provenance = reasons.joined(reasons.reason(reasons.PROVENANCE_USER), origin.origin_note(weights),
                                reasons.reason(reasons.VALIDATION_PSNR, psnr="29.1"))
    no_bf16 = choose_precision("auto", torch.device("cpu"), features=frozenset(), consider_int8=False).reason
    asked = choose_precision("fp32", torch.device("cpu")).reason

    assert shown(provenance) == "用户：由您安装; 从 http://mirror.example/MIMO-UNet.pkl 下载，而非作者的发布处; 验证 29.1 dB"
    assert shown(no_bf16) == "CPU 不原生支持 bf16" and shown(asked) == "指定了 float32"


def test_auto_s_precision_reasons_are_structured_every_part_translated(chinese):
    """The joined reasons of auto's choice (bf16 with its verdict, int8's note, the timings) reach the window
    as Reasons: each part translated, the numbers kept, and the command line's English unchanged."""
    import torch

    from deblur_app.engine.choices import PathVerdict
    from deblur_app.engine.devices import choose_precision

    verdict = PathVerdict.over_photos({f"p{i}": 60.0 + i for i in range(6)}, 0.0, precision="bf16",
                                      pixel_errors={f"p{i}": 0.002 for i in range(6)})
    bf16 = choose_precision("auto", torch.device("cpu"), features=frozenset({"avx512_bf16"}), openvino=True,
                            bf16_verdict=verdict).reason
    timed = choose_precision("auto", torch.device("cpu"), features=frozenset({"avx512_bf16"}), openvino=True,
                             bf16_verdict=verdict, timings={"fp32": 0.30, "bf16": 0.11}).reason

    for said in (bf16, timed):
        assert isinstance(said, reasons.Reason) and said == str(said)
        assert all(isinstance(dict(said.fields)[name], reasons.Reason) for name in dict(said.fields)), said
        assert "; " in said and "60.0" in shown(said) and not re.search(r"[a-z]{4,} [a-z]{4,}", shown(said)), shown(said)
    assert "0.11 s" in shown(timed)


def test_the_about_box_s_provenance_line_speaks_chinese(chinese):
    from deblur_app.gui.about import about_html
    from deblur_app.gui.messages import LoadedModel

    model = LoadedModel("mimo-unet", "MIMO-UNet", Path("/w/MIMO-UNet.pkl"), reasons.reason(reasons.PROVENANCE_STARTER),
                        {}, "cpu", "bf16", reasons.reason(reasons.NATIVE_BF16, features="avx512_bf16"))

    page = about_html(None, model)

    assert "入门：本项目的入门权重：对真实照片效果较弱（见 weights/README.md）" in page
    assert "starter weights" not in page


def test_a_reason_is_its_english_and_carries_its_template_and_fields():
    """str() is what the command line prints; the structure survives a process pool or a cluster (pickle)."""
    import pickle

    said = reasons.about("photo.jpg", reasons.joined(reasons.reason(reasons.CANNOT_READ, cause="I/O error"),
                                                     reasons.reason(reasons.RUNNING_INSTEAD, precision="bf16")))
    assert said == str(said) == "photo.jpg: cannot read the file (I/O error); running bf16 instead"
    assert f"{said}" == said and type(str(said)) is str
    again = pickle.loads(pickle.dumps(said))
    assert again == said and again.template == said.template and again.fields == said.fields
    assert reasons.of(ValueError(said)) is said and reasons.of(ValueError("plain")) == "plain"
    assert reasons.without_subject(said, "photo.jpg") is dict(said.fields)["reason"]


def test_a_structured_reason_translates_its_template_and_never_its_fields(chinese):
    """What the old recognition of English got wrong: a file name or a cause that reads like a template,
    or holds "; ", is shown as it is; only the templates are translated."""
    name = "file not found; is a folder.jpg"
    said = reasons.about(name, reasons.reason(reasons.CANNOT_READ, cause="is a folder"))
    assert shown(said) == f"{name}: 无法读取该文件（is a folder）"
    joined = reasons.joined(reasons.reason(reasons.INT8_UNAVAILABLE, cause="x; y"),
                            reasons.reason(reasons.RUNNING_INSTEAD, precision="bf16"))
    assert shown(joined).startswith("int8 不可用（x; y）") and shown(joined).endswith(shown(
        reasons.reason(reasons.RUNNING_INSTEAD, precision="bf16")))


def test_the_reason_itself_travels_to_the_window(chinese, qtbot, tmp_path):
    """From the core's error through the model thread, a batch and the file pool: the Reason, not its English."""
    from deblur_app import jobs
    from deblur_app.gui import tasks
    from deblur_app.gui.worker import _reason
    from deblur_app.jobs.run import failure_reason
    from deblur_app.model.checkpoints import CheckpointError

    said = reasons.about(tmp_path / "w.pth", reasons.reason(reasons.CHECKPOINT_EMPTY))
    assert _reason(CheckpointError(said)) is said
    assert failure_reason(tmp_path / "a.jpg", jobs.JobError(said)) is said
    file_tasks = tasks.FileTasks()
    with qtbot.waitSignal(file_tasks.loaded, timeout=10000) as loaded:
        file_tasks.load("k", tmp_path / "gone.jpg")
    file_tasks.shutdown()
    error = loaded.args[0].error
    assert isinstance(error, reasons.Reason) and shown(error) == f"{tmp_path / 'gone.jpg'}: 找不到文件"


def _claims_60000_by_60000(path: Path) -> Path:
    """A PNG whose header claims 60000 x 60000 pixels: refused by the pixel limit before it is decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("language, limit", [("en", "exceeds the limit of 200 megapixels"), ("zh_CN", "200 百万像素的上限")])
def test_the_window_names_no_command_line_option_for_the_pixel_limit(qapp, tmp_path, language, limit):
    """The command line says how to raise the limit (--max-megapixels); the window has no such option and does
    not tell its user to set one, in English or in Chinese."""
    from deblur_app.gui import i18n

    huge = core_error(lambda: imagefiles.load_image(_claims_60000_by_60000(tmp_path / "huge.png")))
    assert str(huge).endswith("(set --max-megapixels to raise it)")  # the command line's English is unchanged
    i18n.install(qapp, language)
    try:
        window_text = shown(huge)  # a Reason: the window recognises no English (its plain str is the CLI's)
    finally:
        i18n.uninstall(qapp)
    assert window_text.startswith(f"{tmp_path / 'huge.png'}: 3600") and limit in window_text, window_text
    assert "--" not in window_text, window_text


def _names_a_command_line_option(text: str) -> bool:
    """An option (--overwrite) or a command (deblur-app weights ...) of the command line."""
    return "--" in text or "deblur-app" in text


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_no_reason_the_window_shows_names_a_command_line_option(qapp, language):
    """Every template naming an option or a command either has the window's own wording (gui/reasons.py
    WINDOW_WORDING), which names none in English or Chinese, or is listed there as one the window never shows."""
    import string

    from deblur_app.gui import i18n
    from deblur_app.gui.reasons import COMMAND_LINE_ONLY, WINDOW_WORDING

    naming = [template for template in reasons.catalogue() if _names_a_command_line_option(template)]
    assert reasons.USE_OVERWRITE in naming and reasons.NO_WEIGHTS_FOUND in naming  # the check finds them
    unworded = [template for template in naming if template not in WINDOW_WORDING and template not in COMMAND_LINE_ONLY]
    assert not unworded, f"give these a window wording or list them as command-line only: {unworded}"
    assert not set(WINDOW_WORDING) & set(COMMAND_LINE_ONLY)
    i18n.install(qapp, language)
    try:
        for template in naming:
            if template in COMMAND_LINE_ONLY:
                continue
            fields = {name: f"<{name}>" for _text, name, _spec, _conversion in string.Formatter().parse(template) if name}
            window_text = shown(reasons.reason(template, **fields))
            assert not _names_a_command_line_option(window_text), (template, window_text)
            kept = [name for _text, name, _spec, _conversion in string.Formatter().parse(WINDOW_WORDING[template]) if name]
            assert all(fields[name] in window_text for name in kept), (template, window_text)  # the facts stay
            if language == "zh_CN":
                assert HAN.search(window_text), window_text
    finally:
        i18n.uninstall(qapp)


def test_int8_with_a_gpu_as_the_device_tells_the_window_user_to_choose_the_cpu(chinese):
    """Fastest (int8) with CUDA as the Device: the engine's refusal, in the side panel's terms."""
    import torch

    from deblur_app.engine.devices import choose_precision

    int8_on_a_gpu = core_error(lambda: choose_precision("int8", torch.device("cuda")))
    assert str(int8_on_a_gpu).endswith("use --device cpu")  # the command line's English is unchanged
    assert shown(int8_on_a_gpu) == "int8 只能在 CPU 上运行（借助 OpenVINO）；请把“设备”选为 CPU"


def test_a_text_outside_the_catalogue_is_shown_as_it_came(chinese):
    assert shown("photo.jpg: something the catalogue does not know") == "photo.jpg: something the catalogue does not know"
    assert shown("") == ""


def test_a_plain_str_is_never_recognised_as_a_template(chinese):
    """No guessing from English (gui/reasons.py's old fallback): only a Reason is translated, so a reason
    that lost its structure shows in English, and the tests of each producer catch it."""
    english = f"photo.jpg: {reasons.FILE_NOT_FOUND}"
    assert shown(english) == english
    assert shown(reasons.about("photo.jpg", reasons.reason(reasons.FILE_NOT_FOUND))) == "photo.jpg: 找不到文件"


def test_under_english_the_reasons_are_the_core_s_own(qapp, tmp_path):
    message = core_error(lambda: imagefiles.load_image(tmp_path / "gone.jpg"))
    assert shown(message) == str(message)


def test_templates_are_plain_and_distinct():
    """gui/reasons.py refills the fields with the text it found: no format specs, no field twice."""
    for template in reasons.catalogue():
        fields = re.findall(r"\{([^}]*)\}", template)
        assert all(field.isidentifier() for field in fields), template
        assert len(fields) == len(set(fields)), template


def test_the_core_reasons_need_no_qt():
    code = ("import sys\nimport deblur_app.reasons, deblur_app.imagefiles, deblur_app.weights.store, deblur_app.jobs.naming\n"
            "print([m for m in sys.modules if m.startswith('PySide6')])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_16_bit_rule_has_one_wording_in_save_save_as_and_batch(tmp_path):
    """Save and a batch check before the run (jobs.check_outputs), Save As's writer when it writes
    (imagefiles.save_image): they said it three ways (issue 22)."""
    from deblur_app import jobs
    from deblur_app.jobs import SaveOptions

    photo = tmp_path / "photo.png"
    imagefiles.save_image(photo, np.zeros((4, 4, 3), np.float32))
    target = tmp_path / "photo_deblurred.jpg"

    before_the_run = core_error(lambda: jobs.check_outputs(photo, target, SaveOptions(bit_depth=16)))
    when_written = core_error(lambda: imagefiles.save_image(target, np.zeros((4, 4, 3), np.float32), bit_depth=16))

    wording = reasons.SIXTEEN_BITS_NEED_PNG_OR_TIFF.format(format="JPEG")
    assert str(before_the_run) == str(when_written) == f"{target}: {wording}"
    assert imagefiles.sixteen_bit_problem(tmp_path / "x.tif") == "" and str(imagefiles.sixteen_bit_problem(target)) == wording


@pytest.mark.parametrize("language, sixteen", [("en", "16-bit"), ("zh_CN", "16 位")])
def test_the_window_words_a_bit_depth_one_way(qapp, qtbot, tmp_path, language, sixteen):
    from deblur_app.gui import i18n
    from deblur_app.gui.photo_state import Photo
    from deblur_app.gui.save_dialog import SaveDialog

    imagefiles.save_image(tmp_path / "deep.png", np.zeros((2, 3, 3), np.float32), bit_depth=16)
    photo = Photo("k", tmp_path / "deep.png", image=imagefiles.load_image(tmp_path / "deep.png"))
    i18n.install(qapp, language)
    try:
        dialog = SaveDialog(tmp_path / "deep_deblurred.png", 16, False)
        qtbot.addWidget(dialog)
        choices = [dialog.depth_combo.itemText(i) for i in range(dialog.depth_combo.count())]
        size = photo.size_text
    finally:
        i18n.uninstall(qapp)
    assert choices[2] == sixteen and sixteen in choices[0] and choices[1] == sixteen.replace("16", "8")
    assert sixteen in size


def test_a_photo_too_large_for_memory_is_said_in_chinese(chinese, qtbot, tmp_path, monkeypatch):
    """The window's own message (gui/tasks.py) when decoding runs out of memory. A real MemoryError
    would need the machine's memory exhausted: the decoder raises it here instead."""
    from deblur_app.gui import tasks

    def out_of_memory(path):
        raise MemoryError

    monkeypatch.setattr(tasks.imagefiles, "load_image", out_of_memory)
    file_tasks = tasks.FileTasks()
    with qtbot.waitSignal(file_tasks.loaded, timeout=10000) as loaded:
        file_tasks.load("k", tmp_path / "huge.jpg")
    file_tasks.shutdown()

    assert loaded.args[0].error == f"{tmp_path / 'huge.jpg'}: 内存不足，无法打开这张照片"


def test_the_engine_s_memory_reason_and_note_are_chinese(chinese, small_model, photo_like, monkeypatch):
    """The engine's out-of-memory error, and its note when smaller tiles carried on, as the window's
    result panel shows them (gui/photo_state.py translates the notes). Memory runs out where the
    network's forward says so: a real exhaustion would take the machine's memory."""
    import torch

    from deblur_app.engine.inference import Deblurrer, EngineOptions

    image = photo_like(320, 384, seed=1)
    runner = Deblurrer(small_model, EngineOptions(device="cpu", precision="fp32", backend="torch", tile=0))
    real_forward = runner._forward

    def forward_with_small_memory(x, result, cancel=None):
        if x.shape[-1] * x.shape[-2] > 300 * 300:
            raise torch.OutOfMemoryError("CPU out of memory (simulated)")
        return real_forward(x, result, cancel)

    def no_memory(x, result, cancel=None):
        raise torch.OutOfMemoryError("CPU out of memory (simulated)")

    monkeypatch.setattr(runner, "_forward", forward_with_small_memory)
    notes = runner.run(image).notes
    monkeypatch.setattr(runner, "_forward", no_memory)
    error = core_error(lambda: runner.run(image[:64, :64]))

    smaller = [note for note in notes if str(note).startswith("out of memory with 384-pixel tiles; continuing with ")]
    assert len(smaller) == 1 and shown(smaller[0]).startswith("使用 384 像素的分块时内存不足；改用 "), notes
    assert str(error).startswith("out of memory on cpu even with ") and shown(error).startswith("即使使用 "), shown(error)
    assert "cpu 上的内存仍然不足" in shown(error)

    from deblur_app.gui.outcomes import DeblurOutcome, RunFacts
    from deblur_app.gui.photo_state import Photo

    facts = RunFacts(1.0, 4, 1, "cpu", "fp32", "MIMO-UNet", notes=tuple(notes))
    photo = Photo("k", Path("photo.jpg"), result=DeblurOutcome("k", None, image, None, None, [], [], 0.1, {}, facts))
    assert shown(smaller[0]) in photo.describe() and "continuing" not in photo.describe()


def test_the_missing_weights_advice_is_chinese(chinese, tmp_path, monkeypatch):
    """The tooltip of a network without weights (side panel, batch dialog): weights.catalog's message."""
    from deblur_app.model.registry import VARIANTS
    from deblur_app.weights.catalog import missing_weights_message

    message = missing_weights_message(VARIANTS["nafnet-32"])

    assert str(message).startswith("no NAFNet-32 weights found: run `deblur-app weights download nafnet-32` (the paper's")
    chinese_text = shown(message)  # in the window's terms (gui/reasons.py WINDOW_WORDING): no command, no option
    assert chinese_text.startswith("未找到 NAFNet-32 权重：在“文件 › 权重…”中下载论文发布的 NAFNet-GoPro-width32.pth；")
    assert chinese_text.endswith("；或在“文件 › 权重…”中使用“从文件安装…”"), chinese_text
    assert "found" not in chinese_text and "release" not in chinese_text
    assert not _names_a_command_line_option(chinese_text), chinese_text


# -- every reason the core makes is a Reason of a catalogue template (gui/reasons.py recognises no English)

PACKAGE = REPO / "deblur_app"
# Errors whose text reaches the user as a reason: raised with a Reason, never with English made on the spot.
# LookupError: weights.catalog.pick_from_folder's reason, which weights.store passes on as a WeightsError's.
REASON_ERRORS = {"JobError", "ClusterError", "DeviceError", "CheckpointError", "WeightsError", "AlreadyInstalled",
                 "ImageFileError", "NotADirectoryError", "OpenVinoUnavailable", "Int8Unavailable", "PathUnavailable",
                 "LookupError"}
# English raised by the core that is no reason of a photo, a file or a choice the window offers: bugs of a
# caller, the command line's own options (never translated), a cancellation the window words itself.
NOT_A_USER_S_REASON = {
    ("engine/inference.py", "the model is no network of the registry"),
    ("engine/inference.py", "expected an (H, W, 3) RGB array"),
    ("engine/openvino_backend.py", "the model is no network of the registry"),
    ("engine/openvino_backend.py", "cancelled"),
    ("weights/store.py", "--source must be an http(s) URL"),
    # an unexpected error (a bug) in a weights operation, "<type>: <its text>": its own words, as they came
    ("gui/weights_dialog.py", ": "),
    # the writer's arguments: the window and the command line offer only valid ones
    ("imagefiles/writing.py", "cannot save pixels of"),
    ("imagefiles/writing.py", "cannot save an empty image"),
    ("imagefiles/writing.py", "cannot write format"),
    ("imagefiles/writing.py", "quality must be"),
    ("imagefiles/writing.py", "bit depth must be"),
}
# Where a bare template is handed on to become a Reason: reason(TEMPLATE, ...) or a helper's ``template``
# parameter (store._refused, checkpoints._refused); a lookup table (a dict or tuple of templates) feeds one.
TEMPLATE_TAKERS = {"reason", "_refused"}


def _core_sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative != "reasons.py" and not relative.startswith(("cli/", "training/")):  # the CLI stays English
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def _callee(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def test_no_template_of_the_catalogue_leaves_the_core_as_bare_english():
    """A template used as text (``DeviceError(reasons.NO_CUDA)``, ``TEMPLATE.format(...)``, f"{TEMPLATE}")
    would reach the zh_CN window in English: it must go through reason()."""
    templates = {name for name, value in vars(reasons).items() if isinstance(value, str) and value in reasons.catalogue()}
    bare = []
    for relative, tree in _core_sources():
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            named = node.attr if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "reasons" \
                else node.id if isinstance(node, ast.Name) else None
            if named not in templates:
                continue
            held, parent = node, parents[node]
            while isinstance(parent, (ast.IfExp, ast.Tuple, ast.Dict)):
                held, parent = parent, parents[parent]
            a_lookup_table = held is not node and (isinstance(parent, ast.Assign) or
                                                   isinstance(parent, ast.Attribute) and parent.attr == "get" or
                                                   isinstance(parent, ast.Subscript) and parent.value is held)
            handed_on = a_lookup_table or isinstance(parent, ast.Call) and _callee(parent) in TEMPLATE_TAKERS \
                and held in parent.args
            if not handed_on:
                bare.append(f"{relative}:{node.lineno}: {ast.unparse(parent)[:100]}")
    assert not bare, "templates used as English (wrap them in reasons.reason):\n" + "\n".join(bare)


def test_the_core_raises_its_reasons_as_reasons_not_english_made_on_the_spot():
    """An f-string or a literal raised as a reason would show in English in the zh_CN window; so would one
    made into an error and returned to be raised elsewhere (``return WeightsError(f"...")``)."""
    made_on_the_spot = []
    for relative, tree in _core_sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args and _callee(node) in REASON_ERRORS):
                continue
            said = node.args[-1]
            english = isinstance(said, (ast.JoinedStr, ast.Constant, ast.BinOp)) or \
                isinstance(said, ast.Call) and _callee(said) == "str"
            text = "".join(part.value for part in ast.walk(said) if isinstance(part, ast.Constant)
                           and isinstance(part.value, str))
            if english and not any(relative == where and text.startswith(start) for where, start in NOT_A_USER_S_REASON):
                made_on_the_spot.append(f"{relative}:{node.lineno}: {ast.unparse(node)[:110]}")
    assert not made_on_the_spot, "reasons raised as English:\n" + "\n".join(made_on_the_spot)


def test_every_template_of_the_catalogue_has_a_chinese_translation(chinese):
    """The catalogue is what the window can translate: each template (each the English of some reason of the
    core, as the two tests above hold it) differs in zh_CN, its placeholders kept."""
    from PySide6.QtCore import QCoreApplication

    untranslated = [t for t in reasons.catalogue()
                    if QCoreApplication.translate(reasons.CONTEXT, t) == t]
    assert not untranslated, untranslated


# -- the reasons that used to travel as English: each from the code that makes it, shown in Chinese

def test_a_scan_s_unreadable_photos_say_why_in_chinese(chinese, tmp_path, monkeypatch):
    from deblur_app.jobs import scan

    (tmp_path / "junk.jpg").write_bytes(b"not a photo at all")
    imagefiles.save_image(tmp_path / "fine.png", np.zeros((8, 8, 3), np.float32))
    _, unreadable = scan.score_photo(tmp_path / "junk.jpg")
    not_a_folder = core_error(lambda: list(scan.iter_scan(scan.ScanJob(tmp_path / "fine.png"))))

    def no_memory(*_args, **_kwargs):
        raise MemoryError

    def a_decoder_bug(*_args, **_kwargs):
        raise RuntimeError("decoder went wrong")

    monkeypatch.setattr(scan.imagefiles, "load_for_measuring", no_memory)
    _, out_of_memory = scan.score_photo(tmp_path / "fine.png")
    monkeypatch.setattr(scan.imagefiles, "load_for_measuring", a_decoder_bug)
    _, bug = scan.score_photo(tmp_path / "fine.png")

    assert str(out_of_memory) == f"{tmp_path / 'fine.png'}: out of memory while reading it"  # the CLI's English
    assert shown(unreadable).startswith(f"{tmp_path / 'junk.jpg'}: ") and "不是图像文件" in shown(unreadable)
    assert shown(not_a_folder) == f"{tmp_path / 'fine.png'}: 不是文件夹"
    assert shown(out_of_memory) == f"{tmp_path / 'fine.png'}: 读取时内存不足"
    assert shown(bug) == f"{tmp_path / 'fine.png'}: 无法为其评分（decoder went wrong）"


def test_out_of_memory_advice_is_one_reason_for_the_batch_and_the_window(chinese):
    """jobs.run.one_line_reason and the window's dialog said it twice, the window's in a wording of its own."""
    import torch

    from deblur_app.gui.worker import _reason
    from deblur_app.jobs.run import failure_reason

    engine_said = torch.OutOfMemoryError("CPU out of memory (simulated)")
    in_the_window = _reason(engine_said)
    in_a_batch = failure_reason(Path("big.jpg"), MemoryError())

    assert str(in_the_window) == "Out of memory: CPU out of memory (simulated). Try a smaller tile size or the CPU."
    assert shown(in_the_window) == "内存不足：CPU out of memory (simulated)。请尝试更小的图块尺寸或改用 CPU。"
    assert shown(in_a_batch) == "big.jpg: 内存不足：MemoryError。请尝试更小的图块尺寸或改用 CPU。"


def test_a_batch_s_output_problems_are_chinese(chinese, tmp_path):
    from deblur_app import jobs

    photo = tmp_path / "photo.png"
    imagefiles.save_image(photo, np.zeros((4, 4, 3), np.float32))
    imagefiles.save_image(tmp_path / "photo_deblurred.png", np.zeros((4, 4, 3), np.float32))
    (exists,) = jobs.plan_outputs([(photo, tmp_path / "photo_deblurred.png")])
    (itself,) = jobs.plan_outputs([(photo, photo)])
    other = tmp_path / "other.png"
    twice = jobs.plan_outputs([(photo, tmp_path / "same.png"), (other, tmp_path / "same.png")])[1]

    assert str(jobs.output_problem(exists, False)) == \
        f"{tmp_path / 'photo_deblurred.png'}: already exists (use --overwrite to replace it)"
    # the window's Save finds such a file when it appeared while the save was queued: saving again asks to replace it
    assert shown(jobs.output_problem(exists, False)) == f"{tmp_path / 'photo_deblurred.png'}: 已存在（再次保存即可替换它）"
    assert shown(jobs.output_problem(itself, True)) == f"{photo}: 已存在，且就是输入照片；原始照片永远不会被替换"
    assert shown(twice.problem(True)) == \
        f"{other}: 其输出 {tmp_path / 'same.png'} 也是 {photo} 的输出；请为每张照片指定各自的输出"
    assert shown(jobs.folder_problem(tmp_path / "gone")) == f"{tmp_path / 'gone'}: 文件夹不存在"
    assert shown(core_error(lambda: jobs.parse_model("mimo-unet-xl"))).startswith("未知模型 'mimo-unet-xl'；请从 ")


class _FakeRay:
    """What plan_pool and connect ask of Ray, for a cluster of ``gpus`` GPUs and ``cpus`` cores on one machine."""

    def __init__(self, gpus: float = 0, cpus: int = 2) -> None:
        self.gpus, self.cpus = gpus, cpus

    def is_initialized(self) -> bool:
        return False

    def init(self, **_options) -> None:
        raise ConnectionError("no Ray cluster answers at 10.0.0.9:6379\nmore detail")

    def cluster_resources(self) -> dict:
        return {"GPU": self.gpus, "CPU": self.cpus}

    def nodes(self) -> list[dict]:
        return [{"Alive": True, "NodeID": "n1", "Resources": {"CPU": self.cpus, "GPU": self.gpus}}]


def test_the_cluster_s_reasons_are_chinese(chinese, monkeypatch):
    """A pool the cluster cannot hold, a cluster that does not answer (jobs.cluster; Ray itself is not needed)."""
    from deblur_app.jobs import cluster

    monkeypatch.setattr(cluster, "import_ray", lambda: _FakeRay(gpus=1))
    too_many_gpus = core_error(lambda: cluster.plan_pool(None, 2))
    short_of_gpus = core_error(lambda: cluster.plan_pool(2, 1))
    monkeypatch.setattr(cluster, "import_ray", lambda: _FakeRay(cpus=2))
    short_of_cores = core_error(lambda: cluster.plan_pool(3, None))
    unreachable = core_error(lambda: cluster.connect("10.0.0.9:6379"))

    assert str(short_of_cores) == "3 workers need a CPU core each; the cluster has 2"  # the CLI's English
    assert shown(too_many_gpus) == "--gpus-per-worker 2 要求的 GPU 多于集群拥有的数量（1）"
    assert shown(short_of_gpus) == "2 个各占 1 个 GPU 的工作进程需要的 GPU 多于集群拥有的数量（1）"
    assert shown(short_of_cores) == "3 个工作进程各需要一个 CPU 核心；集群只有 2 个"
    assert shown(unreachable) == "无法连接到位于 10.0.0.9:6379 的 Ray 集群：no Ray cluster answers at 10.0.0.9:6379"


def test_a_cluster_worker_s_reason_reaches_the_driver_as_a_reason(chinese, published_checkpoint):
    """A worker's failure crosses Ray Data's Arrow blocks, which keep str columns as plain strings: it is
    packed, and the driver gets the Reason back, every part of it translated."""
    import torch

    pytest.importorskip("ray")
    from deblur_app.jobs import EngineChoices, SaveOptions
    from deblur_app.jobs.cluster import PhotoWorker, packed, unpacked
    from deblur_app.model.checkpoints import load_checkpoint

    missing = "cuda" if not torch.cuda.is_available() else "mps"
    worker = PhotoWorker(load_checkpoint(published_checkpoint), None, EngineChoices(device=missing), SaveOptions(), None)
    row = worker({"source": ["a.png"], "target": ["a_deblurred.png"]})
    said = unpacked(row["error"][0])

    assert row["fatal"] == [True] and isinstance(row["error"][0], bytes)
    assert str(said).startswith("a worker on ") and " cannot start: " in said  # the CLI's English
    assert "上的工作进程无法启动：" in shown(said) and "was asked for" not in shown(said), shown(said)
    assert unpacked(packed("")) == "" and unpacked(packed("plain text")) == "plain text"


def test_openvino_s_reasons_for_not_running_are_chinese(chinese, tmp_path):
    """The {cause} of "int8 unavailable (...)" and "OpenVINO unavailable, using torch: ..." (engine notes)."""
    from deblur_app.engine.openvino_backend import load_calibration

    np.savez(tmp_path / "crops.npz", crops=np.zeros((2, 8, 8), np.float32))
    malformed = core_error(lambda: load_calibration(tmp_path / "crops.npz"))
    missing = core_error(lambda: load_calibration(tmp_path / "gone.npz"))
    note = reasons.reason(reasons.INT8_UNAVAILABLE, cause=malformed)

    assert str(malformed) == f"{tmp_path / 'crops.npz'}: expected (N, H, W, 3) uint8 crops, got float32 (2, 8, 8)"
    assert shown(note) == f"int8 不可用（{tmp_path / 'crops.npz'}: 应为 (N, H, W, 3) 的 uint8 裁剪块，实际为 float32 (2, 8, 8)）"
    assert shown(missing).startswith(f"没有可用的 int8 校准文件 {tmp_path / 'gone.npz'}（")


def test_a_broken_torch_install_is_said_in_chinese_in_the_about_box(chinese, qtbot, monkeypatch):
    """The model thread's start-up report when torch cannot even describe itself (gui/worker.py)."""
    from deblur_app.gui.worker import EngineWorker

    def broken():
        raise OSError("libtorch_cpu.so: cannot open shared object file")

    worker = EngineWorker()
    monkeypatch.setattr(worker, "_engine_info", broken)
    with qtbot.waitSignal(worker.info_ready, timeout=5000) as ready:
        worker.publish_info()

    assert ready.args[0].torch_version == "不可用（libtorch_cpu.so: cannot open shared object file）"


# -- a file's name on one line, every invisible character of it shown (reasons.one_line_name)

@pytest.mark.parametrize("name, shown", [
    ("clear\x1b[2J.jpg", "clear\\x1b[2J.jpg"),  # a terminal escape sequence: clears the screen when printed
    ("x\u202egpj.exe", "x\\u202egpj.exe"),  # a right-to-left override: would show "xexe.jpg"
    ("a\tb\nc\rd.png", "a\\tb\\nc\\rd.png"),
    ("\x00\x07\x7f\x85\x9b.jpg", "\\x00\\x07\\x7f\\x85\\x9b.jpg"),  # C0, DEL, C1 (NEL, CSI)
    ("zero\u200bwidth\u00adsoft\ufeff.jpg", "zero\\u200bwidth\\xadsoft\\ufeff.jpg"),  # invisible format characters
    ("\u2066isolate\u2069 \u2028line\u2029.jpg", "\\u2066isolate\\u2069 \\u2028line\\u2029.jpg"),
    ("a\u200db.jpg", "a\\u200db.jpg"),  # a joiner between ASCII letters joins nothing: it only hides itself
    ("tag\U000E0041.jpg", "tag\\U000e0041.jpg"),  # a tag character outside a flag
    (b"\xff\xfe.jpg", "\\udcff\\udcfe.jpg"),  # undecodable bytes
])
def test_a_name_s_invisible_characters_are_written_as_escapes(name, shown):
    assert reasons.one_line_name(name) == shown
    assert reasons.one_line_name(shown) == shown  # already shown: written again unchanged
    assert str(reasons.about(name, "file not found")) == f"{shown}: file not found"


@pytest.mark.parametrize("name", [
    "照片 (1).jpg", "café naïve Ångström.png", "家人👨\u200d👩\u200d👧.jpg", "❤️\u200d🔥.png",
    "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F.jpg",  # England's flag: tag letters
    "می\u200cخواهم.jpg", "nbsp\u00a0ideographic\u3000space.jpg", "Ελληνικά русский עברית العربية.tif",
])
def test_ordinary_unicode_in_a_name_is_written_as_it_is(name):
    assert reasons.one_line_name(name) == name


def test_the_window_shows_a_hostile_name_escaped_in_a_translated_reason(chinese, tmp_path):
    path = tmp_path / "x\u202egpj.exe\x1b[2J.png"
    said = core_error(lambda: imagefiles.load_image(path))
    assert shown(said) == f"{tmp_path}/x\\u202egpj.exe\\x1b[2J.png: 找不到文件", shown(said)


def test_a_weights_file_s_os_error_and_an_unclear_release_folder_are_chinese(chinese, tmp_path, monkeypatch):
    """The last two reasons that were English made on the spot (weights.store._os_error, catalog.pick_from_folder)."""
    import shutil

    from conftest import checkpoint_bytes

    from deblur_app.weights import catalog, store

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    source = tmp_path / "MIMO-UNet.pkl"
    source.write_bytes(checkpoint_bytes("mimo-unet"))

    def unreadable(from_path, _to_path, **_):
        raise PermissionError(13, "Permission denied", str(from_path))

    monkeypatch.setattr(shutil, "copyfile", unreadable)
    os_error = core_error(lambda: store.install_file(source))
    unclear = core_error(lambda: catalog.pick_from_folder(catalog.downloads()["fftformer-realblur"], ["a.pth", "b.pth"]))
    nothing = core_error(lambda: catalog.pick_from_folder(catalog.downloads()["fftformer-realblur"], ["README.txt"]))

    assert str(os_error) == f"{source}: cannot read or write {source} (Permission denied)"  # the CLI's English
    assert shown(os_error) == f"{source}: 无法读写 {source}（Permission denied）"
    assert "which one is a file named like 'realblur' is not clear" in str(unclear)
    assert "a.pth, b.pth" in shown(unclear) and "不清楚哪一个是 名称类似“realblur”的文件" in shown(unclear), shown(unclear)
    assert "holds no weights files;" in str(nothing) and "中有 0 个权重文件；" in shown(nothing)


def test_a_batch_s_broken_raw_file_is_said_in_chinese(chinese, tmp_path):
    """imagefiles.raw_problem, the batch's check before the model loads, gave str(error): the batch dialog showed
    a fake or cut RAW file's reason in English under zh_CN."""
    from rawfiles import dng_bytes

    from deblur_app.jobs.run import input_problem

    (tmp_path / "cut.nef").write_bytes(dng_bytes()[:15000])
    (tmp_path / "fake.cr2").write_bytes(b"this is not a photo\n" * 40)
    cut, fake = input_problem(tmp_path / "cut.nef"), input_problem(tmp_path / "fake.cr2")
    assert str(cut) == f"{tmp_path / 'cut.nef'}: RAW file is truncated or damaged (LibRaw could not read its image data)"
    assert shown(cut) == f"{tmp_path / 'cut.nef'}: RAW 文件不完整或已损坏（LibRaw 无法读取其图像数据）"
    assert shown(fake) == f"{tmp_path / 'fake.cr2'}: 不是相机 RAW 文件，或 LibRaw 不支持该相机"


def test_the_notes_of_an_install_are_shown_in_chinese(chinese):
    """What `weights install` and Install from File say beside "installed" (weights.store.install_notes) are the
    core's reasons: the Chinese window shows them in Chinese, in its own words (no command to run)."""
    from deblur_app.weights import store as weightstore

    taken = weightstore.InstalledWeights("restormer-defocus", "Restormer (defocus)", Path("restormer.pth"), "user", 1,
                                         True, unnamed_among=("restormer-defocus", "restormer-motion"),
                                         unpublished="NAFNet (width 16)")
    assert [shown(note) for note in weightstore.install_notes(taken)] == [
        "该文件含有 NAFNet (width 16)，不是作者发布的配置：Restormer (defocus) 将运行这个网络",
        "已默认作为 Restormer (defocus) 的权重安装：Restormer (motion) 的权重形状相同，而文件名与两者都不符；"
        "如果它其实是后者的权重，请删除它，改名为 motion_deblurring.pth 后重新安装"]
