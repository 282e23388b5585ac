"""The training pipeline end to end on tiny data: loss, data, loop, resume, export, eval."""

import csv

import cv2
import numpy as np
import pytest
import torch

from deblur_app.cli.main import main
from deblur_app.model.checkpoints import load_checkpoint
from deblur_app.training.data import ValidationSet, build_validation_set, paired_files
from deblur_app.training.losses import mimo_loss, sharp_pyramid


def _photo(path, size, seed):
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur((rng.random((size, size, 3)) * 255).astype(np.uint8), (0, 0), 2)
    cv2.imwrite(str(path), cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    for split, count in (("train", 3), ("val", 1)):
        (root / split).mkdir()
        for index in range(count):
            _photo(root / split / f"p{index}.png", 320 if split == "val" else 200, index + (10 if split == "val" else 0))
    kernels = root / "kernels"
    kernels.mkdir()
    for index, length in enumerate((5, 9)):
        kernel = np.zeros((11, 11), np.uint8)
        kernel[5, 5 - length // 2 : 5 + length // 2 + 1] = 255
        cv2.imwrite(str(kernels / f"kernel{index + 1}.png"), kernel)
    return root


def test_loss_is_zero_for_a_perfect_pyramid_and_grows_with_error():
    sharp = torch.rand(2, 3, 32, 32)
    perfect = sharp_pyramid(sharp)
    loss, parts = mimo_loss(perfect, sharp)
    assert float(loss) < 1e-6 and parts["frequency"] < 1e-4
    worse, worse_parts = mimo_loss([p + 0.1 for p in perfect], sharp)
    assert float(worse) > 0.1 and worse_parts["content"] == pytest.approx(0.3, rel=1e-3)


def test_validation_set_is_deterministic_and_uses_every_kernel(dataset, tmp_path):
    first = build_validation_set(dataset / "val", dataset / "kernels", crop=96)
    second = build_validation_set(dataset / "val", dataset / "kernels", crop=96)
    assert first.names == ["p0@kernel1", "p0@kernel2"]
    np.testing.assert_array_equal(first.blurry, second.blurry)
    assert first.blurry.shape == first.sharp.shape == (len(first.names), 96, 96, 3)
    assert not np.array_equal(first.blurry, first.sharp)
    first.save(tmp_path / "val.npz")
    assert ValidationSet.load(tmp_path / "val.npz").names == first.names


def test_noise_free_validation_set_is_the_blur_alone(dataset, tmp_path, capsys):
    noisy = build_validation_set(dataset / "val", dataset / "kernels", crop=96)
    clean = build_validation_set(dataset / "val", dataset / "kernels", crop=96, noise=0)
    np.testing.assert_array_equal(clean.sharp, noisy.sharp)
    difference = clean.blurry.astype(np.float64) - noisy.blurry
    assert 1.5 < difference.std() < 4.0  # the default 1 % noise is 2.55 levels; the clean set lacks it
    # with no noise the blurry crop is a smooth function of the sharp one: blurring it again changes little
    again = np.stack([cv2.blur(image, (3, 3)) for image in clean.blurry]).astype(np.float64)
    noisy_again = np.stack([cv2.blur(image, (3, 3)) for image in noisy.blurry]).astype(np.float64)
    assert np.abs(again - clean.blurry).mean() < np.abs(noisy_again - noisy.blurry).mean()
    out = tmp_path / "clean.npz"
    assert main(["train", "make-valset", "--photos", str(dataset / "val"), "--kernels", str(dataset / "kernels"),
                 "--out", str(out), "--noise", "0"]) == 0
    from_cli = ValidationSet.load(out)  # the command's default crop is larger than the 96 px above
    np.testing.assert_array_equal(from_cli.blurry, build_validation_set(dataset / "val", dataset / "kernels", noise=0).blurry)
    assert main(["train", "make-valset", "--photos", str(dataset / "val"), "--kernels", str(dataset / "kernels"),
                 "--out", str(tmp_path / "bad.npz"), "--noise", "-1"]) == 2
    assert "--noise must be from 0 to 0.2" in capsys.readouterr().err
    assert not (tmp_path / "bad.npz").exists()


def test_gopro_layout_pairs_by_name(tmp_path):
    for split in ("train/GOPR0001", "train/GOPR0002"):
        for kind in ("blur", "sharp"):
            (tmp_path / split / kind).mkdir(parents=True)
            _photo(tmp_path / split / kind / "000001.png", 64, 1)
    (tmp_path / "train/GOPR0002/blur/orphan.png").write_bytes(b"")
    pairs = paired_files(tmp_path)
    assert len(pairs) == 2
    assert all(b.name == s.name and b.parent.name == "blur" and s.parent.name == "sharp" for b, s in pairs)


def test_train_logs_checkpoints_resumes_exports_and_evaluates(dataset, tmp_path, capsys):
    valset = tmp_path / "val.npz"
    assert main(["train", "make-valset", "--photos", str(dataset / "val"), "--kernels", str(dataset / "kernels"),
                 "--out", str(valset)]) == 0
    run_dir = tmp_path / "run"
    common = ["train", "--data", str(dataset), "--run-dir", str(run_dir), "--crop", "64", "--batch", "2",
              "--workers", "0", "--validation", str(valset), "--hours", "1", "--warmup-steps", "1"]
    assert main([*common, "--max-steps", "3"]) == 0
    state = torch.load(run_dir / "state.pt", weights_only=True)
    assert state["step"] == 3 and state["samples"] == 6
    assert main([*common, "--max-steps", "2", "--resume"]) == 0
    assert torch.load(run_dir / "state.pt", weights_only=True)["step"] == 5
    with open(run_dir / "log.csv") as handle:
        rows = list(csv.DictReader(handle))
    validated = [r for r in rows if r["val_psnr"]]
    assert validated and all(float(r["val_input_psnr"]) > 10 for r in validated)
    best = load_checkpoint(run_dir / "best.safetensors")
    assert best.variant.key == "mimo-unet" and float(best.metadata["val_psnr"]) > 0
    assert int(best.metadata["samples_seen"]) in (0, 6, 10)
    assert main(["eval", "--valset", str(valset), "--weights", str(run_dir / "best.safetensors"),
                 "--csv", str(tmp_path / "eval.csv"), "--device", "cpu"]) == 0
    with open(tmp_path / "eval.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["image"] == "MEAN" and len(rows) == len(ValidationSet.load(valset).names) + 1
    assert "dB" in capsys.readouterr().out
    # at 0 % strength the output is the blurry input itself
    assert main(["eval", "--valset", str(valset), "--weights", str(run_dir / "best.safetensors"),
                 "--csv", str(tmp_path / "none.csv"), "--device", "cpu", "--strength", "0"]) == 0
    with open(tmp_path / "none.csv") as handle:
        mean = list(csv.DictReader(handle))[-1]
    assert float(mean["psnr"]) == pytest.approx(float(mean["input_psnr"]))
    assert float(rows[-1]["psnr"]) != pytest.approx(float(mean["psnr"]))
    # what is validated and exported is the moving average of the weights, and it is resumed
    final = torch.load(run_dir / "state.pt", weights_only=True)
    last = load_checkpoint(run_dir / "last.safetensors").state_dict
    name = "feat_extract.0.main.0.weight"
    assert not torch.equal(final["ema"][name], final["model"][name])
    assert torch.allclose(last[name].float(), final["ema"][name].float(), atol=1e-3)


def test_moving_average_follows_the_weights_with_its_decay(tmp_path):
    from deblur_app.training.trainer import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(data=str(tmp_path), run_dir=str(tmp_path / "run"), device="cpu", ema_decay=0.9))
    assert trainer.evaluated_model is trainer.ema
    with torch.no_grad():
        for average, current in zip(trainer.ema.parameters(), trainer.model.parameters()):
            average.zero_()
            current.fill_(1.0)
    trainer.step = 1000  # past the short-memory start: the configured decay applies
    trainer._update_ema()
    assert all(torch.allclose(p, torch.full_like(p, 0.1)) for p in trainer.ema.parameters())
    trainer.step = 0  # at the start the average mostly takes the new weights: decay 1/10
    trainer._update_ema()
    assert all(torch.allclose(p, torch.full_like(p, 0.1 * 0.1 + 0.9)) for p in trainer.ema.parameters())
    assert not any(p.requires_grad for p in trainer.ema.parameters())
    assert Trainer(TrainConfig(data=str(tmp_path), run_dir=str(tmp_path / "r2"), device="cpu", ema_decay=0)).ema is None


def test_train_refuses_a_missing_data_folder(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "none"), "--run-dir", str(tmp_path / "r")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_max_blur_sets_the_longest_synthetic_shake(dataset, tmp_path, capsys):
    from deblur_app.training.trainer import TrainConfig, Trainer

    def kernel_range(**options):
        config = TrainConfig(data=str(dataset), run_dir=str(tmp_path / "run"), device="cpu", crop=64, workers=0, **options)
        return Trainer(config, log=lambda _message: None)._loader().dataset.config.kernel_size

    assert kernel_range() == (3.0, 35.0)
    assert kernel_range(max_blur=60) == (3.0, 60.0)
    assert main(["train", "--data", str(dataset), "--run-dir", str(tmp_path / "r"), "--max-blur", "200"]) == 2
    assert "--max-blur must be from 5 to 99 pixels, not 200" in capsys.readouterr().err


def test_degradation_options_reach_the_synthesis(dataset, tmp_path, capsys):
    from deblur_app.training import blur
    from deblur_app.training.trainer import TrainConfig, Trainer

    def synthesis(**options):
        config = TrainConfig(data=str(dataset), run_dir=str(tmp_path / "run"), device="cpu", crop=64, workers=0, **options)
        return Trainer(config, log=lambda _message: None)._loader().dataset.config

    default = synthesis()
    assert (default.noise_prob, default.jpeg_prob, default.jpeg_quality) == (0.9, 0.5, (60, 95))
    assert default.shot_noise == blur.DEFAULT_CONFIG.shot_noise and not default.noise_in_target
    light = synthesis(noise_scale=0.5, noise_prob=0.3, noise_in_target=True, jpeg_prob=0.2, jpeg_quality=(90, 98))
    assert light.shot_noise == pytest.approx(tuple(a / 4 for a in blur.DEFAULT_CONFIG.shot_noise))
    assert light.read_noise == pytest.approx(tuple(b / 2 for b in blur.DEFAULT_CONFIG.read_noise))
    assert (light.noise_prob, light.noise_in_target, light.jpeg_prob, light.jpeg_quality) == (0.3, True, 0.2, (90, 98))

    def refused(*options):
        assert main(["train", "--data", str(dataset), "--run-dir", str(tmp_path / "r"), *options]) == 2
        return capsys.readouterr().err

    assert "--noise-scale must be from 0 to 4, not 9" in refused("--noise-scale", "9")
    assert "--jpeg-prob must be from 0 to 1, not 1.5" in refused("--jpeg-prob", "1.5")
    assert "--jpeg-quality must be LO-HI" in refused("--jpeg-quality", "95-60")
    assert "--jpeg-quality must be LO-HI" in refused("--jpeg-quality", "high")
    assert not (tmp_path / "r").exists()


def test_cli_passes_the_degradation_options_to_the_trainer(dataset, tmp_path, monkeypatch):
    from deblur_app.training import trainer

    seen = {}
    monkeypatch.setattr(trainer, "run_training", lambda config, resume, log: seen.setdefault("config", config))
    assert main(["train", "--data", str(dataset), "--run-dir", str(tmp_path / "r"), "--noise-scale", "0.25",
                 "--noise-prob", "0.5", "--noise-in-target", "--jpeg-prob", "0.3", "--jpeg-quality", "88-97"]) == 0
    config = seen["config"]
    assert (config.noise_scale, config.noise_prob, config.noise_in_target) == (0.25, 0.5, True)
    assert (config.jpeg_prob, config.jpeg_quality) == (0.3, (88, 97))


def test_make_valset_needs_its_kernels_named_and_reads_nothing_beside_the_checkout(dataset, tmp_path, monkeypatch,
                                                                                   capsys):
    """The recorded kernels are not part of the project: the command once defaulted to
    ../shared/eval/..., relative to wherever it ran, which a user's clone does not have (or has
    something else there). Leaving --kernels out is a usage error, before anything is read."""
    beside = tmp_path / "shared" / "eval" / "realblur" / "levin09" / "gt"
    beside.mkdir(parents=True)
    for kernel in (dataset / "kernels").iterdir():
        (beside / kernel.name).write_bytes(kernel.read_bytes())
    monkeypatch.chdir(tmp_path / "shared")  # ../shared/eval/... from here is the folder above
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "make-valset", "--photos", str(dataset / "val"), "--out", str(tmp_path / "v.npz")])
    assert exit_info.value.code == 2 and "--kernels" in capsys.readouterr().err
    assert not (tmp_path / "v.npz").exists()


def test_a_wrong_validation_set_is_one_line_before_any_model_loads(tmp_path, capsys, monkeypatch):
    """`eval --valset FOLDER` (or a text file, another .npz, a missing one) printed a whole traceback after the
    model had loaded; `train check-int8` found it only after making the int8 model and `train --validation`
    as the run started. ValidationSet.load names the file and the reason in one line, asked first."""
    import os

    import numpy as np

    from deblur_app.cli.main import main
    from deblur_app.training.data import ValidationSet

    text, other, mismatch, pipe = (tmp_path / name for name in ("text.npz", "other.npz", "mismatch.npz", "pipe.npz"))
    text.write_text("x\n")
    np.savez(other, a=np.zeros(3))
    np.savez(mismatch, blurry=np.zeros((2, 8, 8, 3), np.uint8), sharp=np.zeros((2, 8, 9, 3), np.uint8),
             names=np.array(["a", "b"]))
    os.mkfifo(pipe)
    expected = {tmp_path: "is a folder", text: "not an .npz file", tmp_path / "missing.npz": "file not found",
                other: "no blurry, sharp, names array", pipe: "is a device, pipe or socket",
                mismatch: "blurry (2, 8, 8, 3) and sharp (2, 8, 9, 3) crops and 2 names do not match"}
    for slow in ("deblur_app.cli.train.engine_from_args", "deblur_app.cli.int8._float32_and_int8_engines",
                 "deblur_app.cli.int8.check_set"):
        monkeypatch.setattr(slow, lambda *_a, **_k: pytest.fail("the slow work started"))
    monkeypatch.setattr("deblur_app.engine.openvino_backend.openvino_available", lambda: True)
    for path, why in expected.items():
        said = f"{path}: not a validation set of 'train make-valset' ({why})"
        with pytest.raises(ValueError) as error:
            ValidationSet.load(path)
        assert str(error.value) == said
        assert main(["eval", "--valset", str(path), "--csv", str(tmp_path / "eval.csv")]) == 1
        assert capsys.readouterr().err == f"deblur-app: {said}\n"
    monkeypatch.setattr("deblur_app.cli.int8.check_set", lambda *_a, **_k: {})
    assert main(["train", "check-int8", "--photos", str(tmp_path), "--valset", str(text)]) == 1
    assert capsys.readouterr().err == f"deblur-app: {text}: not a validation set of 'train make-valset' (not an .npz file)\n"
    assert main(["train", "--data", str(tmp_path), "--run-dir", str(tmp_path / "run"), "--validation", str(other),
                 "--max-steps", "1"]) == 2
    assert capsys.readouterr().err.endswith(
        f"deblur-app: --validation {other}: not a validation set of 'train make-valset' (no blurry, sharp, names array)\n")


def test_train_s_wrong_data_run_folder_or_init_weights_are_one_line_not_a_traceback(tmp_path, capsys):
    """`train --data photo.jpg`, `--run-dir FILE` and `--init` with refused weights ended in the crash handler's
    traceback; each is one line of ours now."""
    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), np.zeros((40, 40, 3), np.uint8))
    unsafe = tmp_path / "unsafe.pth"
    unsafe.write_bytes(b"\x80\x04\x95" + bytes(20))  # a protocol-4 pickle: refused unread
    folder = tmp_path / "photos"
    folder.mkdir()
    for argv, said in [
        (["--data", str(photo), "--run-dir", str(tmp_path / "run1")], f"{photo}: no photos of at least 304 px found"),
        (["--data", str(folder), "--run-dir", str(photo)], f"--run-dir {photo}: is a file, not a folder for the run"),
        (["--data", str(folder), "--run-dir", str(tmp_path / "run2"), "--init", str(unsafe)],
         f"{unsafe}: refused: a pickle of protocol 4"),
    ]:
        assert main(["train", *argv, "--max-steps", "1", "--workers", "0"]) == 2, argv
        err = capsys.readouterr().err
        assert f"deblur-app: {said}" in err and "Traceback" not in err and err.count("\n") == 1, err
    assert photo.read_bytes() and not (tmp_path / "run1" / "weights").exists()
